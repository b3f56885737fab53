package dev.pin.reward.image;

import java.util.List;

/**
 * The image-inversion reward (§6.3): {@code r = cos(f_img(target), f_text(prompt))} with both
 * embeddings L2-normalised, averaged over the task's target images. No z-score, scale 1.
 */
public final class ClipReward {
  private ClipReward() {}

  /**
   * L2-normalises a vector (a zero vector stays zero).
   *
   * @param v the vector
   * @return a unit-length copy
   */
  public static float[] normalise(float[] v) {
    double n = 0;
    for (float x : v) {
      n += (double) x * x;
    }
    n = Math.sqrt(n);
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = n == 0 ? 0f : (float) (v[i] / n);
    }
    return out;
  }

  /**
   * Cosine similarity.
   *
   * @param a one embedding
   * @param b another of the same size
   * @return cos(a, b) in [-1, 1] (0 when either is zero)
   */
  public static float cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("embedding sizes differ: " + a.length + " vs " + b.length);
    }
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0f : (float) (dot / Math.sqrt(na * nb));
  }

  /**
   * The reward of one prompt.
   *
   * @param textEmbedding the prompt's CLIP text embedding
   * @param imageEmbeddings the targets' CLIP image embeddings
   * @return the mean cosine over the targets
   */
  public static float reward(float[] textEmbedding, List<float[]> imageEmbeddings) {
    if (imageEmbeddings.isEmpty()) {
      throw new IllegalArgumentException("no target images");
    }
    double sum = 0;
    for (float[] img : imageEmbeddings) {
      sum += cosine(textEmbedding, img);
    }
    return (float) (sum / imageEmbeddings.size());
  }

  /**
   * Rewards of many prompts.
   *
   * @param textEmbeddings one CLIP text embedding per prompt
   * @param imageEmbeddings the targets' CLIP image embeddings
   * @return one reward per prompt
   */
  public static float[] rewards(List<float[]> textEmbeddings, List<float[]> imageEmbeddings) {
    float[] out = new float[textEmbeddings.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = reward(textEmbeddings.get(i), imageEmbeddings);
    }
    return out;
  }
}
