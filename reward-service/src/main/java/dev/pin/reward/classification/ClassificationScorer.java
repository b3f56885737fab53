package dev.pin.reward.classification;

import dev.pin.v1.LabeledText;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Scores prompts on a registered classification task (§6.1): renders the template around each
 * example, asks the {@link LogitsSource} for the verbalizer logits, and applies {@link
 * ClassificationReward}. Immutable and thread-safe; one instance per registered task.
 */
public final class ClassificationScorer {

  private final PromptTemplate template;
  private final String maskToken;
  private final int[] verbalizerIds;
  private final ClassificationReward.Multipliers multipliers;
  private final LogitsSource source;

  /**
   * Creates a scorer.
   *
   * @param template the task template
   * @param maskToken the task model's literal mask token ("" for a causal LM)
   * @param verbalizerIds verbalizer ids in label order (from {@link Verbalizers#resolve})
   * @param multipliers reward multipliers
   * @param source where logits come from
   */
  public ClassificationScorer(
      PromptTemplate template,
      String maskToken,
      int[] verbalizerIds,
      ClassificationReward.Multipliers multipliers,
      LogitsSource source) {
    this.template = Objects.requireNonNull(template);
    this.maskToken = Objects.requireNonNull(maskToken);
    this.verbalizerIds = verbalizerIds.clone();
    this.multipliers = Objects.requireNonNull(multipliers);
    this.source = Objects.requireNonNull(source);
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
   * Scores one prompt on examples; completes when the model has read every example.
   *
   * @param prompt the prompt text
   * @param examples the examples (labels within the verbalizer range)
   * @return a future of the prompt's mean reward, accuracy and per-example results
   */
  public CompletableFuture<ClassificationReward.PromptResult> score(
      String prompt, List<LabeledText> examples) {
    if (examples.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no examples to score"));
    }
    int[] labels = new int[examples.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = examples.get(i).getLabel();
    }
    List<String> texts = render(prompt, examples);
    CompletableFuture<float[][]> logits;
    try {
      logits = source.logits(texts, verbalizerIds);
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
