package dev.pin.reward.classification;

import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.batching.BatchFunction;
import dev.pin.reward.batching.BatcherConfig;
import dev.pin.reward.batching.DynamicBatcher;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link LogitsSource} that merges the texts of concurrent callers — different runs, steps and
 * even different tasks on the same task model — into model batches through a {@link
 * DynamicBatcher}. One instance per task model.
 *
 * <p>Tasks sharing a model may read different verbalizer ids, so each batch asks the model for the
 * union of its items' ids once and hands every item back its own columns.
 */
public final class BatchedLogits implements LogitsSource, AutoCloseable {

  /**
   * One text and the ids its caller wants.
   *
   * @param text the rendered model input
   * @param vocabIds the ids to read
   * @param length the text's length in tokens, for the length buckets
   */
  public record Query(String text, int[] vocabIds, int length) {}

  private final TaskLanguageModel model;
  private final DynamicBatcher<Query, float[]> batcher;

  /**
   * Creates the batched source and starts its batcher.
   *
   * @param model the task LM
   * @param config batching settings (its name tags the metrics)
   * @param registry where the batcher's metrics go
   */
  public BatchedLogits(TaskLanguageModel model, BatcherConfig config, MeterRegistry registry) {
    this.model = model;
    this.batcher = new DynamicBatcher<>(config, batchFunction(model), Query::length, registry);
  }

  /**
   * The batch function: one model call over the union of the batch's verbalizer ids.
   *
   * @param model the task LM
   * @return the function a batcher runs
   */
  static BatchFunction<Query, float[]> batchFunction(TaskLanguageModel model) {
    return batch -> {
      Map<Integer, Integer> column = new LinkedHashMap<>();
      List<String> texts = new ArrayList<>(batch.size());
      for (Query q : batch) {
        texts.add(q.text());
        for (int id : q.vocabIds()) {
          column.putIfAbsent(id, column.size());
        }
      }
      int[] union = column.keySet().stream().mapToInt(Integer::intValue).toArray();
      float[][] all = model.logitsAt(texts, union);
      List<float[]> out = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        int[] ids = batch.get(i).vocabIds();
        float[] row = new float[ids.length];
        for (int j = 0; j < ids.length; j++) {
          row[j] = all[i][column.get(ids[j])];
        }
        out.add(row);
      }
      return out;
    };
  }

  @Override
  public CompletableFuture<float[][]> logits(List<String> texts, int[] vocabIds) {
    int special = model.tokenizer().specialTokenCount();
    List<Query> queries = new ArrayList<>(texts.size());
    for (String t : texts) {
      queries.add(new Query(t, vocabIds, model.tokenizer().encode(t).length + special));
    }
    return batcher.submitAll(queries).thenApply(rows -> rows.toArray(new float[0][]));
  }

  /**
   * The underlying batcher (queue depth, config).
   *
   * @return the batcher
   */
  public DynamicBatcher<Query, float[]> batcher() {
    return batcher;
  }

  @Override
  public void close() {
    batcher.close();
  }
}
