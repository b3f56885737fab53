/**
 * Text style transfer rewards and metrics (ALGORITHMS.md §6.2): the output cut rules and the
 * new-token budget of generation, the per-sample reward (Content + Style)/2 with Content from
 * BERTScore-F1, the group-max average over samples, and the evaluation metrics (J, GM, corpus and
 * sentence BLEU). The model outputs (generations, style probabilities, token embeddings) arrive
 * through the seams in {@link dev.pin.reward.backend}.
 */
package dev.pin.reward.style;
