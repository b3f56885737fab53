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
   * One model input and the ids its caller wants.
   *
   * @param text the rendered model input, or null when the input is given as {@code tokenIds}
   * @param tokenIds the input as token ids without special tokens, or null for {@code text}
   * @param vocabIds the ids to read
   * @param length the input's length in tokens, for the length buckets
   */
  public record Query(String text, int[] tokenIds, int[] vocabIds, int length) {}

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
      // Texts go to logitsAt, token-id inputs (read_token_ids) to logitsAtTokens: a batch that
      // mixes both, which only faithfulness measurements cause, costs two model calls.
      List<Integer> textRows = new ArrayList<>();
      List<Integer> tokenRows = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        Query q = batch.get(i);
        (q.text() != null ? textRows : tokenRows).add(i);
        for (int id : q.vocabIds()) {
          column.putIfAbsent(id, column.size());
        }
      }
      int[] union = column.keySet().stream().mapToInt(Integer::intValue).toArray();
      float[][] all = new float[batch.size()][];
      if (!textRows.isEmpty()) {
        float[][] rows = model.logitsAt(
            textRows.stream().map(i -> batch.get(i).text()).toList(), union);
        for (int k = 0; k < rows.length; k++) {
          all[textRows.get(k)] = rows[k];
        }
      }
      if (!tokenRows.isEmpty()) {
        float[][] rows = model.logitsAtTokens(
            tokenRows.stream().map(i -> batch.get(i).tokenIds()).toList(), union);
        for (int k = 0; k < rows.length; k++) {
          all[tokenRows.get(k)] = rows[k];
        }
      }
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
      queries.add(new Query(t, null, vocabIds, model.tokenizer().encode(t).length + special));
    }
    return batcher.submitAll(queries).thenApply(rows -> rows.toArray(new float[0][]));
  }

  @Override
  public CompletableFuture<float[][]> tokenLogits(List<int[]> tokenIds, int[] vocabIds) {
    int special = model.tokenizer().specialTokenCount();
    List<Query> queries = new ArrayList<>(tokenIds.size());
    for (int[] ids : tokenIds) {
      queries.add(new Query(null, ids, vocabIds, ids.length + special));
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
