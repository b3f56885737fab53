package dev.pin.reward.scoring;

import dev.pin.reward.image.ImageInversionScorer;
import dev.pin.reward.task.FieldError;
import dev.pin.reward.task.RegisteredTask;
import dev.pin.reward.task.TaskValidationException;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.Split;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Textual inversion from images (ALGORITHMS.md §6.3): CLIP similarity between the prompt and the
 * target images, every prompt of a request in one text-tower batch on the scoring pool.
 */
record ImageInversionTaskScorer(
    RegisteredTask task, Supplier<ImageInversionScorer> scorer, Executor pool)
    implements TaskScorer {

  @Override
  public PromptComputer computer(Split split, List<Integer> indices, boolean readIds) {
    if (!indices.isEmpty()) {
      throw new TaskValidationException(List.of(new FieldError("example_indices",
          "image-inversion tasks have no examples; leave example_indices empty")));
    }
    return new BatchComputer(texts -> scorer.get().score(texts), pool);
  }

  @Override
  public List<CompletableFuture<PromptEvaluation>> evaluate(List<Prompt> prompts, Split split) {
    CompletableFuture<float[]> all = CompletableFuture.supplyAsync(
        () -> scorer.get().score(prompts.stream().map(Prompt::getText).toList()), pool);
    int targets = task.spec().getImageInversion().getTargetsCount();
    List<CompletableFuture<PromptEvaluation>> evals = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); i++) {
      Prompt p = prompts.get(i);
      int k = i;
      evals.add(all.thenApply(r -> PromptEvaluation.newBuilder()
          .setPrompt(p)
          .setClipScore(r[k])
          .setReward(r[k])
          .setExamples(targets)
          .build()));
    }
    return evals;
  }
}
