/**
 * Prompt naturalness under a masked LM (ALGORITHMS.md §7.3): batched pseudo-log-likelihood and
 * pseudo-perplexity, and each token's rank and probability under the left-to-right LM prior that
 * PIN's filter looks at (§4.2). The math depends only on {@link
 * dev.pin.scorer.naturalness.MaskedScoringLm}; {@link
 * dev.pin.scorer.naturalness.OrtMaskedScoringLm}
 * adapts the platform's ONNX Runtime model to it.
 */
package dev.pin.scorer.naturalness;
