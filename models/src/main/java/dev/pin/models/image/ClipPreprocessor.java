package dev.pin.models.image;

import java.awt.image.BufferedImage;

/**
 * CLIP's image preprocessing, as OpenAI CLIP and open_clip define it with torchvision: {@code
 * Resize(N, BICUBIC)} (shortest side to N, the other side {@code ⌊N·long/short⌋}), {@code
 * CenterCrop(N)} (offsets rounded half-to-even like Python's {@code round}), RGB, scale to [0, 1],
 * normalise per channel with the model's mean and std, laid out CHW.
 *
 * <p>The resampling reproduces Pillow's bicubic filter (a = −0.5) with its antialiasing support
 * (the kernel widens by the downscale factor), separably, horizontal pass then vertical, each
 * rounded and clamped to 8 bits as Pillow does for RGB images. Pillow computes with fixed-point
 * weights, so values may differ from it by one level (1/255) at most. Alpha is dropped (Pillow's
 * {@code convert("RGB")}), grey images are replicated to three channels.
 */
public final class ClipPreprocessor {

  /** OpenAI CLIP's normalisation mean (RGB). */
  public static final float[] OPENAI_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};

  /** OpenAI CLIP's normalisation std (RGB). */
  public static final float[] OPENAI_STD = {0.26862954f, 0.26130258f, 0.27577711f};

  private final int size;
  private final float[] mean;
  private final float[] std;

  /**
   * Creates a preprocessor.
   *
   * @param size the model's input resolution N (224 for ViT-B/32 and ViT-H-14)
   * @param mean per-channel mean (RGB)
   * @param std per-channel std (RGB)
   */
  public ClipPreprocessor(int size, float[] mean, float[] std) {
    if (size < 1) {
      throw new IllegalArgumentException("size must be >= 1, got " + size);
    }
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("mean and std need 3 channels");
    }
    this.size = size;
    this.mean = mean.clone();
    this.std = std.clone();
  }

  /**
   * OpenAI CLIP's preprocessing at a resolution.
   *
   * @param size the input resolution
   * @return the preprocessor
   */
  public static ClipPreprocessor openAi(int size) {
    return new ClipPreprocessor(size, OPENAI_MEAN, OPENAI_STD);
  }

  /**
   * The input resolution N.
   *
   * @return N
   */
  public int size() {
    return size;
  }

  /**
   * Preprocesses one image.
   *
   * @param image any BufferedImage
   * @return {@code [3·N·N]} floats, channel-major (C, H, W)
   */
  public float[] preprocess(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[][] rgb = toRgb(image);
    // Resize so the shorter side is N.
    int ow;
    int oh;
    if (w <= h) {
      ow = size;
      oh = (int) ((long) size * h / w);
    } else {
      oh = size;
      ow = (int) ((long) size * w / h);
    }
    int[][] resized = (ow == w && oh == h) ? rgb : resize(rgb, w, h, ow, oh);
    int top = (int) Math.rint((oh - size) / 2.0);
    int left = (int) Math.rint((ow - size) / 2.0);
    float[] out = new float[3 * size * size];
    int plane = size * size;
    for (int c = 0; c < 3; c++) {
      float m = mean[c];
      float s = std[c];
      int[] channel = resized[c];
      for (int y = 0; y < size; y++) {
        int row = (y + top) * ow + left;
        for (int x = 0; x < size; x++) {
          out[c * plane + y * size + x] = (channel[row + x] / 255f - m) / s;
        }
      }
    }
    return out;
  }

  /** Channel planes [3][h·w] of 8-bit values. */
  private static int[][] toRgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    int[][] planes = new int[3][w * h];
    for (int i = 0; i < argb.length; i++) {
      int p = argb[i];
      planes[0][i] = (p >> 16) & 0xff;
      planes[1][i] = (p >> 8) & 0xff;
      planes[2][i] = p & 0xff;
    }
    return planes;
  }

  private static int[][] resize(int[][] planes, int w, int h, int ow, int oh) {
    Kernel horizontal = Kernel.of(w, ow);
    Kernel vertical = Kernel.of(h, oh);
    int[][] out = new int[3][];
    for (int c = 0; c < 3; c++) {
      int[] src = planes[c];
      int[] tmp = new int[ow * h];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < ow; x++) {
          double acc = 0;
          int start = horizontal.start[x];
          double[] k = horizontal.weights[x];
          for (int j = 0; j < k.length; j++) {
            acc += k[j] * src[y * w + start + j];
          }
          tmp[y * ow + x] = clamp8(acc);
        }
      }
      int[] dst = new int[ow * oh];
      for (int y = 0; y < oh; y++) {
        int start = vertical.start[y];
        double[] k = vertical.weights[y];
        for (int x = 0; x < ow; x++) {
          double acc = 0;
          for (int j = 0; j < k.length; j++) {
            acc += k[j] * tmp[(start + j) * ow + x];
          }
          dst[y * ow + x] = clamp8(acc);
        }
      }
      out[c] = dst;
    }
    return out;
  }

  private static int clamp8(double v) {
    long r = Math.round(v);
    return (int) Math.max(0, Math.min(255, r));
  }

  /** Pillow's resampling coefficients for one axis (ImagingResample's precompute_coeffs). */
  static final class Kernel {
    final int[] start;
    final double[][] weights;

    private Kernel(int[] start, double[][] weights) {
      this.start = start;
      this.weights = weights;
    }

    static Kernel of(int in, int out) {
      double scale = (double) in / out;
      double filterScale = Math.max(scale, 1.0);
      double support = 2.0 * filterScale; // bicubic support is 2
      int[] start = new int[out];
      double[][] weights = new double[out][];
      for (int i = 0; i < out; i++) {
        double center = (i + 0.5) * scale;
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), in);
        double[] k = new double[xmax - xmin];
        double sum = 0;
        for (int j = 0; j < k.length; j++) {
          k[j] = bicubic((j + xmin - center + 0.5) / filterScale);
          sum += k[j];
        }
        if (sum != 0) {
          for (int j = 0; j < k.length; j++) {
            k[j] /= sum;
          }
        }
        start[i] = xmin;
        weights[i] = k;
      }
      return new Kernel(start, weights);
    }

    static double bicubic(double x) {
      final double a = -0.5;
      double t = Math.abs(x);
      if (t < 1.0) {
        return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
      }
      if (t < 2.0) {
        return (((t - 5) * t + 8) * t - 4) * a;
      }
      return 0.0;
    }
  }
}
