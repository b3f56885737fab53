/**
 * CLIP's image input (ALGORITHMS.md §6.3): decoding PNG/JPEG bytes with the JDK's ImageIO and
 * CLIP's preprocessing on {@link java.awt.image.BufferedImage} (bicubic resize of the shortest
 * side, centre crop, scaling and normalisation to a CHW float array). Shared by the reward
 * service, which scores prompts against target images, and the policy service, whose PEZ (§7.1)
 * embeds the same targets for its loss, so that both read an image the same way.
 */
package dev.pin.models.image;
