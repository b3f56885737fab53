package dev.pin.reward.testing;

import dev.pin.reward.backend.ClipModel;
import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.backend.TaskTokenizer;
import dev.pin.reward.backend.TextGenerator;
import dev.pin.reward.backend.TokenEmbedder;
import java.util.ArrayList;
import java.util.List;

/**
 * Small deterministic models behind the backend seams, with outputs simple enough to compute
 * rewards by hand: a generator that alternates a positive and a negative rewrite, a style
 * classifier that looks for "great", one-hot word embeddings (BERTScore = word overlap), and a
 * "CLIP" whose image embedding is the mean of each channel.
 */
public final class TinyModels {
  private TinyModels() {}

  /** Words the one-hot embedder knows. */
  public static final List<String> WORDS =
      List.of("the", "food", "was", "bad", ".", "great!", "bad.");

  /** Alternates " The food was GREAT! …" (even samples) and " the food was bad. …" (odd). */
  public static final class AlternatingGenerator implements TextGenerator {
    /** Every request seen, in order. */
    public final List<Request> seen = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public String name() {
      return "alternating";
    }

    @Override
    public TaskTokenizer tokenizer() {
      return VocabTokenizer.wordPiece(List.of("the", "food", "was", "bad", "."));
    }

    @Override
    public List<List<String>> generate(List<Request> requests) {
      List<List<String>> out = new ArrayList<>();
      for (Request r : requests) {
        seen.add(r);
        List<String> samples = new ArrayList<>();
        for (int j = 0; j < r.numSamples(); j++) {
          samples.add(
              j % 2 == 0 ? " The food was GREAT! really\" and more" : " the food was bad. \"");
        }
        out.add(samples);
      }
      return out;
    }
  }

  /** P(positive) = 0.9 when the text contains "great", else 0.2 (labels: negative, positive). */
  public static SequenceClassifier greatDetector() {
    return texts -> {
      float[][] p = new float[texts.size()][];
      for (int i = 0; i < p.length; i++) {
        p[i] = texts.get(i).contains("great") ? new float[] {0.1f, 0.9f} : new float[] {0.8f, 0.2f};
      }
      return p;
    };
  }

  /** One-hot vectors per whitespace-separated word, plus a special [CLS] vector first. */
  public static TokenEmbedder oneHotWords() {
    return new TokenEmbedder() {
      @Override
      public String name() {
        return "one-hot";
      }

      @Override
      public List<Embeddings> embed(List<String> texts, int layer) {
        List<Embeddings> out = new ArrayList<>();
        for (String t : texts) {
          String[] words = t.strip().split("\\s+");
          float[][] v = new float[words.length + 1][WORDS.size() + 1];
          boolean[] special = new boolean[words.length + 1];
          v[0][WORDS.size()] = 1f; // [CLS] would match every [CLS] if it were not skipped
          special[0] = true;
          for (int i = 0; i < words.length; i++) {
            v[i + 1][WORDS.indexOf(words[i])] = 1f;
          }
          out.add(new Embeddings(v, special));
        }
        return out;
      }
    };
  }

  /** Image embedding = mean of each channel (mean 0, std 1); text: red, green, else yellow. */
  public static ClipModel colourClip() {
    return new ClipModel() {
      @Override
      public String name() {
        return "colour-clip";
      }

      @Override
      public int imageSize() {
        return 4;
      }

      @Override
      public float[] imageMean() {
        return new float[] {0, 0, 0};
      }

      @Override
      public float[] imageStd() {
        return new float[] {1, 1, 1};
      }

      @Override
      public float[][] embedTexts(List<String> texts) {
        return texts.stream()
            .map(
                t ->
                    switch (t) {
                      case "red" -> new float[] {1, 0, 0};
                      case "green" -> new float[] {0, 1, 0};
                      default -> new float[] {1, 1, 0};
                    })
            .toArray(float[][]::new);
      }

      @Override
      public float[][] embedImages(List<float[]> pixels) {
        float[][] out = new float[pixels.size()][3];
        for (int i = 0; i < pixels.size(); i++) {
          float[] p = pixels.get(i);
          int plane = p.length / 3;
          for (int c = 0; c < 3; c++) {
            for (int j = 0; j < plane; j++) {
              out[i][c] += p[c * plane + j] / plane;
            }
          }
        }
        return out;
      }
    };
  }

  /** A PNG of one colour. */
  public static byte[] png(int rgb, int w, int h) {
    java.awt.image.BufferedImage img =
        new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(img, "png", out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
