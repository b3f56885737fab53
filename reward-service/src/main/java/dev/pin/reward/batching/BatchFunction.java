package dev.pin.reward.batching;

import java.util.List;

/**
 * The model call a {@link DynamicBatcher} runs on each batch.
 *
 * @param <I> one input item (e.g. a rendered text)
 * @param <O> its result (e.g. verbalizer logits)
 */
@FunctionalInterface
public interface BatchFunction<I, O> {

  /**
   * Computes the results of one batch.
   *
   * @param batch inputs, all from the same length bucket
   * @return exactly one result per input, in input order
   * @throws Exception any failure; it fails every request with an item in this batch
   */
  List<O> apply(List<I> batch) throws Exception;
}
