package dev.pin.orchestrator.data;

import dev.pin.v1.ClassificationTask;
import dev.pin.v1.LabeledText;
import java.util.List;

/**
 * One split of a few-shot classification dataset (§6.1): the train and dev examples of one seed and
 * the shared test set.
 *
 * @param train examples every training step scores prompts on
 * @param dev examples for picking the best prompt
 * @param test held-out examples for the final report
 */
public record FewShotSplit(List<LabeledText> train, List<LabeledText> dev, List<LabeledText> test) {

  /** Copies the lists so the record cannot change under its holder. */
  public FewShotSplit {
    train = List.copyOf(train);
    dev = List.copyOf(dev);
    test = List.copyOf(test);
  }

  /** The task with its inline examples replaced by this split's. */
  public ClassificationTask fill(ClassificationTask task) {
    return task.toBuilder()
        .clearTrain()
        .addAllTrain(train)
        .clearDev()
        .addAllDev(dev)
        .clearTest()
        .addAllTest(test)
        .build();
  }
}
