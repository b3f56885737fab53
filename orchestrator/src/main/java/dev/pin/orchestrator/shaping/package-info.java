/**
 * Reward stabilisation between the Reward and Policy services (ALGORITHMS.md §5, §7.2): the
 * perplexity penalty R′ = R − λ·g(PPL) on the task reward, then z-scoring (over the step's prompts
 * for classification, per source sentence for style transfer, not at all for image inversion) and
 * the linear shaping r′ = scale·r̃ + shift that the policy trains on. Validation scores never pass
 * through here.
 */
package dev.pin.orchestrator.shaping;
