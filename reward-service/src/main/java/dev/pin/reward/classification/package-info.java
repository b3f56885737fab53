/**
 * Few-shot classification rewards (ALGORITHMS.md §6.1): rendering the template around a prompt and
 * an example, checking that each verbalizer is one token of the task model, and turning the task
 * LM's verbalizer logits into the gap reward {@code R = Gap·(200 if correct else 180)}, accuracy
 * and the predicted class. The model is reached through {@link
 * dev.pin.reward.classification.LogitsSource}, either directly or through the dynamic batcher.
 */
package dev.pin.reward.classification;
