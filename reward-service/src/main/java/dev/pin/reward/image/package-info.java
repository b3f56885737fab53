/**
 * Image-inversion rewards (ALGORITHMS.md §6.3): the reward, the cosine between the prompt's CLIP
 * text embedding and each target image's embedding, averaged over the targets. CLIP's image
 * preprocessing is {@code dev.pin.models.image}'s, shared with the policy service's PEZ (§7.1).
 */
package dev.pin.reward.image;
