package dev.pin.reward.image;

import dev.pin.models.image.ClipPreprocessor;
import dev.pin.models.image.ImageDecoder;
import dev.pin.reward.backend.ClipModel;
import dev.pin.v1.Image;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Scores prompts on an image-inversion task (§6.3): the target images are preprocessed and embedded
 * once, at construction; each call embeds the prompts with the CLIP text tower and returns the mean
 * cosine over the targets. Thread-safe.
 */
public final class ImageInversionScorer {

  private final ClipModel clip;
  private final List<float[]> targetEmbeddings;

  /**
   * Embeds the targets.
   *
   * @param clip the CLIP model
   * @param targets the task's target images (PNG/JPEG bytes)
   */
  public ImageInversionScorer(ClipModel clip, List<Image> targets) {
    this.clip = Objects.requireNonNull(clip);
    ClipPreprocessor pre =
        new ClipPreprocessor(clip.imageSize(), clip.imageMean(), clip.imageStd());
    List<float[]> pixels = new ArrayList<>(targets.size());
    for (Image t : targets) {
      pixels.add(pre.preprocess(ImageDecoder.decode(t.getData().toByteArray())));
    }
    float[][] emb = clip.embedImages(pixels);
    List<float[]> normalised = new ArrayList<>(emb.length);
    for (float[] e : emb) {
      normalised.add(ClipReward.normalise(e));
    }
    this.targetEmbeddings = List.copyOf(normalised);
  }

  /**
   * Rewards of prompts.
   *
   * @param prompts prompt texts
   * @return one mean cosine per prompt
   */
  public float[] score(List<String> prompts) {
    float[][] text = clip.embedTexts(prompts);
    List<float[]> rows = new ArrayList<>(text.length);
    for (float[] t : text) {
      rows.add(t);
    }
    return ClipReward.rewards(rows, targetEmbeddings);
  }

  /**
   * The targets' normalised image embeddings.
   *
   * @return one per target
   */
  public List<float[]> targetEmbeddings() {
    return targetEmbeddings;
  }
}
