package dev.pin.reward.classification;

import java.util.List;

/**
 * The classification reward of RLPrompt (§6.1), from the task LM's logits restricted to the
 * verbalizer tokens.
 *
 * <p>Per example: softmax over the |C| verbalizer logits only; {@code gap = P(c) − max_{c′≠c}
 * P(c′)}; {@code correct = gap > 0} (ties are wrong); {@code R = gap·(correctMultiplier if correct
 * else incorrectMultiplier)}. Per prompt: the mean of R over the examples and two accuracies:
 * {@code accuracy} counts {@code correct} examples (the label is the unique argmax, the training
 * reward's notion), {@code argmaxAccuracy} counts {@code predicted == label} with ties broken
 * towards the lower index (§6.1's evaluation rule). They differ only on exact ties.
 */
public final class ClassificationReward {

  /**
   * Reward multipliers.
   *
   * @param correct multiplier of the gap when the prediction is right (RLPrompt: 200)
   * @param incorrect multiplier of the gap when it is wrong (RLPrompt: 180)
   */
  public record Multipliers(float correct, float incorrect) {
    /** RLPrompt's 200 / 180. */
    public static final Multipliers DEFAULT = new Multipliers(200f, 180f);

    /**
     * Multipliers from a task spec, where 0 means "use the default".
     *
     * @param correct the spec's correct_multiplier
     * @param incorrect the spec's incorrect_multiplier
     * @return the multipliers with defaults filled in
     */
    public static Multipliers orDefault(float correct, float incorrect) {
      return new Multipliers(
          correct == 0f ? DEFAULT.correct() : correct,
          incorrect == 0f ? DEFAULT.incorrect() : incorrect);
    }
  }

  /**
   * One example's reward.
   *
   * @param probabilities verbalizer probabilities in label order
   * @param predicted argmax class (ties to the lower index)
   * @param gap {@code P(label) − max_{c≠label} P(c)}
   * @param correct {@code gap > 0}
   * @param reward {@code gap} times the multiplier
   */
  public record ExampleResult(
      float[] probabilities, int predicted, float gap, boolean correct, float reward) {}

  /**
   * One prompt's reward over a set of examples.
   *
   * @param reward mean per-example reward
   * @param accuracy share of correct ({@code gap > 0}) examples in [0, 1]
   * @param argmaxAccuracy share of examples whose predicted class is the label, in [0, 1]
   * @param examples per-example results in example order
   */
  public record PromptResult(
      float reward, float accuracy, float argmaxAccuracy, List<ExampleResult> examples) {}

  private ClassificationReward() {}

  /**
   * Softmax over the given logits (numerically stable, in double).
   *
   * @param logits raw logits
   * @return probabilities summing to 1
   */
  public static float[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] e = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      e[i] = Math.exp(logits[i] - max);
      sum += e[i];
    }
    float[] p = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      p[i] = (float) (e[i] / sum);
    }
    return p;
  }

  /**
   * Scores one example.
   *
   * @param verbalizerLogits the task LM's logits of the |C| verbalizer tokens, in label order
   * @param label the true class
   * @param multipliers reward multipliers
   * @return the example's reward
   */
  public static ExampleResult scoreExample(
      float[] verbalizerLogits, int label, Multipliers multipliers) {
    int classes = verbalizerLogits.length;
    if (classes < 2) {
      throw new IllegalArgumentException("need at least 2 verbalizer logits, got " + classes);
    }
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException("label " + label + " outside [0, " + classes + ")");
    }
    float[] p = softmax(verbalizerLogits);
    int predicted = 0;
    float maxOther = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      if (p[c] > p[predicted]) {
        predicted = c;
      }
      if (c != label) {
        maxOther = Math.max(maxOther, p[c]);
      }
    }
    float gap = p[label] - maxOther;
    boolean correct = gap > 0f;
    float reward = gap * (correct ? multipliers.correct() : multipliers.incorrect());
    return new ExampleResult(p, predicted, gap, correct, reward);
  }

  /**
   * Scores one prompt over examples: mean reward and accuracy.
   *
   * @param logits per-example verbalizer logits
   * @param labels per-example true classes
   * @param multipliers reward multipliers
   * @return the prompt's reward
   */
  public static PromptResult scorePrompt(float[][] logits, int[] labels, Multipliers multipliers) {
    if (logits.length != labels.length) {
      throw new IllegalArgumentException(
          logits.length + " logit rows for " + labels.length + " labels");
    }
    if (logits.length == 0) {
      throw new IllegalArgumentException("no examples to score");
    }
    ExampleResult[] results = new ExampleResult[logits.length];
    double sum = 0;
    int correct = 0;
    int argmaxRight = 0;
    for (int i = 0; i < logits.length; i++) {
      results[i] = scoreExample(logits[i], labels[i], multipliers);
      sum += results[i].reward();
      if (results[i].correct()) {
        correct++;
      }
      if (results[i].predicted() == labels[i]) {
        argmaxRight++;
      }
    }
    float n = logits.length;
    return new PromptResult((float) (sum / n), correct / n, argmaxRight / n, List.of(results));
  }
}
