package dev.pin.reward.scoring;

import dev.pin.reward.style.StyleTransferScorer;
import dev.pin.reward.task.RegisteredTask;
import dev.pin.v1.GenerateResponse;
import dev.pin.v1.GeneratedText;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.PromptScore;
import dev.pin.v1.Split;
import dev.pin.v1.StyleDetail;
import dev.pin.v1.StyleExample;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Unsupervised text style transfer (ALGORITHMS.md §6.2): the causal task LM rewrites each input
 * after the prompt, and content, style and fluency models score the outputs. Runs on the engine's
 * scoring pool, one prompt per task.
 */
record StyleTransferTaskScorer(
    RegisteredTask task, Supplier<StyleTransferScorer> scorer, Executor pool)
    implements TaskScorer {

  @Override
  public PromptComputer computer(Split split, List<Integer> indices, boolean readIds) {
    List<StyleExample> examples = task.styleExamples(split, indices);
    return p -> CompletableFuture.supplyAsync(
        () -> promptScore(scorer.get().score(p.getText(), examples)), pool);
  }

  @Override
  public List<CompletableFuture<PromptEvaluation>> evaluate(List<Prompt> prompts, Split split) {
    List<StyleExample> examples = task.styleExamples(split, List.of());
    boolean withFluency = task.spec().getStyleTransfer().hasFluencyClassifier()
        && !task.spec().getStyleTransfer().getFluencyClassifier().getName().isBlank();
    List<CompletableFuture<PromptEvaluation>> evals = new ArrayList<>(prompts.size());
    for (Prompt p : prompts) {
      evals.add(CompletableFuture.supplyAsync(() -> {
        StyleTransferScorer.Evaluation e = scorer.get().evaluate(p.getText(), examples);
        return PromptEvaluation.newBuilder()
            .setPrompt(p)
            .setContent(e.metrics().content())
            .setStyle(e.metrics().style())
            .setFluency(withFluency ? e.metrics().fluency() : 0f)
            .setJScore(e.metrics().j())
            .setGeometricMean(e.metrics().gm())
            .setBleu(Double.isNaN(e.bleu()) ? 0f : (float) e.bleu())
            .setExamples(examples.size())
            .build();
      }, pool));
    }
    return evals;
  }

  /** The task LM's outputs for (prompt, input) pairs, after the cut rules (Generate). */
  CompletableFuture<GenerateResponse> generate(String prompt, List<String> inputs,
      GenerationConfig generation) {
    return CompletableFuture.supplyAsync(() -> {
      List<List<String>> outputs = scorer.get().generate(prompt, inputs, generation);
      GenerateResponse.Builder b = GenerateResponse.newBuilder();
      for (int i = 0; i < inputs.size(); i++) {
        b.addResults(
            GeneratedText.newBuilder().setInput(inputs.get(i)).addAllOutputs(outputs.get(i)));
      }
      return b.build();
    }, pool);
  }

  private static PromptScore promptScore(StyleTransferScorer.PromptResult r) {
    PromptScore.Builder b = PromptScore.newBuilder().setReward(r.reward());
    for (StyleTransferScorer.ExampleResult e : r.examples()) {
      b.addPerExampleReward(e.reward());
      b.addStyle(StyleDetail.newBuilder()
          .setReward(e.reward())
          .setBestOutput(e.best().output())
          .setContent(e.best().content())
          .setStyle(e.best().style()));
    }
    return b.build();
  }
}
