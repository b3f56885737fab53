package dev.pin.reward.classification;

import dev.pin.models.template.PromptTemplate;
import dev.pin.reward.backend.TaskTokenizer;
import dev.pin.v1.LabeledText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Scores prompts on a registered classification task (§6.1): renders the template around each
 * example, asks the {@link LogitsSource} for the verbalizer logits, and applies {@link
 * ClassificationReward}. A prompt is read as text ({@link #score}) or as token ids spliced into
 * the template ({@link #scoreTokenIds}, the faithfulness measurement of §7.2). Immutable and
 * thread-safe; one instance per registered task.
 */
public final class ClassificationScorer {

  private final PromptTemplate template;
  private final String maskToken;
  private final int[] verbalizerIds;
  private final ClassificationReward.Multipliers multipliers;
  private final LogitsSource source;
  private final TaskTokenizer tokenizer;

  /**
   * Creates a scorer.
   *
   * @param template the task template
   * @param maskToken the task model's literal mask token ("" for a causal LM)
   * @param verbalizerIds verbalizer ids in label order (from {@link Verbalizers#resolve})
   * @param multipliers reward multipliers
   * @param source where logits come from
   * @param tokenizer the task model's tokenizer, which encodes the template around token-id
   *     prompts
   */
  public ClassificationScorer(
      PromptTemplate template,
      String maskToken,
      int[] verbalizerIds,
      ClassificationReward.Multipliers multipliers,
      LogitsSource source,
      TaskTokenizer tokenizer) {
    this.template = Objects.requireNonNull(template);
    this.maskToken = Objects.requireNonNull(maskToken);
    this.verbalizerIds = verbalizerIds.clone();
    this.multipliers = Objects.requireNonNull(multipliers);
    this.source = Objects.requireNonNull(source);
    this.tokenizer = Objects.requireNonNull(tokenizer);
  }

  /**
   * The model inputs of one prompt over examples.
   *
   * @param prompt the prompt text
   * @param examples the examples
   * @return one rendered input per example
   */
  public List<String> render(String prompt, List<LabeledText> examples) {
    List<String> texts = new ArrayList<>(examples.size());
    for (LabeledText e : examples) {
      texts.add(template.render(e.getText(), prompt, maskToken));
    }
    return texts;
  }

  /**
   * The model inputs of one token-id prompt over examples: per example, the template's pieces
   * around {@code {prompt}} ({@link PromptTemplate#renderAroundPrompt}) encoded by the task
   * tokenizer with {@code promptIds} between them, no special tokens. For a prompt whose text
   * encodes to exactly {@code promptIds} in this position this is {@code encode(render(text))}.
   *
   * @param promptIds the prompt's ids in the task model's vocabulary
   * @param examples the examples
   * @return one id sequence per example
   */
  public List<int[]> spliceTokenIds(int[] promptIds, List<LabeledText> examples) {
    List<int[]> inputs = new ArrayList<>(examples.size());
    for (LabeledText e : examples) {
      List<String> pieces = template.renderAroundPrompt(e.getText(), maskToken);
      IntStream.Builder ids = IntStream.builder();
      for (int p = 0; p < pieces.size(); p++) {
        if (p > 0) {
          Arrays.stream(promptIds).forEach(ids::add);
        }
        Arrays.stream(tokenizer.encode(pieces.get(p))).forEach(ids::add);
      }
      inputs.add(ids.build().toArray());
    }
    return inputs;
  }

  /**
   * Scores one prompt on examples; completes when the model has read every example.
   *
   * @param prompt the prompt text
   * @param examples the examples (labels within the verbalizer range)
   * @return a future of the prompt's mean reward, accuracy and per-example results
   */
  public CompletableFuture<ClassificationReward.PromptResult> score(
      String prompt, List<LabeledText> examples) {
    return score(examples, () -> source.logits(render(prompt, examples), verbalizerIds));
  }

  /**
   * Scores one prompt given as token ids, spliced into the template ({@link #spliceTokenIds}).
   *
   * @param promptIds the prompt's ids in the task model's vocabulary (validated by the caller)
   * @param examples the examples (labels within the verbalizer range)
   * @return a future of the prompt's mean reward, accuracy and per-example results
   */
  public CompletableFuture<ClassificationReward.PromptResult> scoreTokenIds(
      int[] promptIds, List<LabeledText> examples) {
    return score(examples,
        () -> source.tokenLogits(spliceTokenIds(promptIds, examples), verbalizerIds));
  }

  private CompletableFuture<ClassificationReward.PromptResult> score(
      List<LabeledText> examples, Supplier<CompletableFuture<float[][]>> logitsOfExamples) {
    if (examples.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no examples to score"));
    }
    int[] labels = new int[examples.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = examples.get(i).getLabel();
    }
    CompletableFuture<float[][]> logits;
    try {
      logits = logitsOfExamples.get();
    } catch (RuntimeException e) {
      // A batcher rejects synchronously (queue full); keep that exception visible to the caller.
      return CompletableFuture.failedFuture(e);
    }
    return logits.thenApply(l -> ClassificationReward.scorePrompt(l, labels, multipliers));
  }

  /**
   * The verbalizer ids this scorer reads.
   *
   * @return a copy of the ids
   */
  public int[] verbalizerIds() {
    return verbalizerIds.clone();
  }
}
