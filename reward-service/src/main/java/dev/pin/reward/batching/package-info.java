/**
 * Dynamic batching for the reward service's hot path. Concurrent runs score prompts at the same
 * time; {@link dev.pin.reward.batching.DynamicBatcher} merges their model inputs into batches
 * bounded by size and waiting time, keeps inputs of similar length together so padding stays small,
 * runs the batches on a bounded executor, and fails fast with {@link
 * dev.pin.reward.batching.QueueFullException} (RESOURCE_EXHAUSTED) instead of queueing without
 * bound.
 */
package dev.pin.reward.batching;
