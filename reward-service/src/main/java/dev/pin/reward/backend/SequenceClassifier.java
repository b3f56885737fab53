package dev.pin.reward.backend;

import java.util.List;

/**
 * A frozen sequence classifier (style or fluency, §6.2) returning label probabilities. Thread-safe.
 */
@FunctionalInterface
public interface SequenceClassifier {

  /**
   * The model store name, for messages.
   *
   * @return the name
   */
  default String name() {
    return getClass().getSimpleName();
  }

  /**
   * How many labels the classifier has, when known without running it (registration checks a
   * task's target label against it).
   *
   * @return the label count, or 0 when unknown
   */
  default int labelCount() {
    return 0;
  }

  /**
   * Class probabilities (softmax over the classifier's labels).
   *
   * @param texts inputs
   * @return {@code [texts.size()][labels]} probabilities
   */
  float[][] probabilities(List<String> texts);
}
