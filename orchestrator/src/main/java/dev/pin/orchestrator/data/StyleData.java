package dev.pin.orchestrator.data;

import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import java.util.List;

/**
 * Source sentences of one style-transfer direction (§6.2).
 *
 * @param train sentences every training step rewrites (no references)
 * @param dev sentences for picking the best prompt (no references)
 * @param test test sentences, each with its human rewrite into the target style
 */
public record StyleData(List<StyleExample> train, List<StyleExample> dev, List<StyleExample> test) {

  /** Copies the lists so the record cannot change under its holder. */
  public StyleData {
    train = List.copyOf(train);
    dev = List.copyOf(dev);
    test = List.copyOf(test);
  }

  /** The task with its inline sentences replaced by these. */
  public StyleTransferTask fill(StyleTransferTask task) {
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
