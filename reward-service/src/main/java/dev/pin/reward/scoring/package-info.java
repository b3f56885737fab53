/**
 * The reward engine the gRPC layer calls: {@link dev.pin.reward.scoring.RewardEngine} turns Score
 * and Evaluate requests into per-prompt futures — registry lookup, example selection, reward cache,
 * one batched logits source per classification task model, a bounded executor for the heavier
 * style/image/custom scoring — and {@link dev.pin.reward.scoring.RewardStatuses} maps its
 * exceptions to gRPC status codes. What differs by task type lives behind one interface, {@code
 * TaskScorer}, with one implementation per type (classification, style transfer, image inversion,
 * custom), made once per registered task.
 */
package dev.pin.reward.scoring;
