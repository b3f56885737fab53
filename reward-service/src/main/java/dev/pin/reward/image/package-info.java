/**
 * Image-inversion rewards (ALGORITHMS.md §6.3): CLIP's image preprocessing on {@link
 * java.awt.image.BufferedImage} (bicubic resize of the shortest side, centre crop, scaling and
 * normalisation to a CHW float array) and the reward, the cosine between the prompt's CLIP text
 * embedding and each target image's embedding, averaged over the targets.
 */
package dev.pin.reward.image;
