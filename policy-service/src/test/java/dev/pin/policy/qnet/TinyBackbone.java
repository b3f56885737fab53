package dev.pin.policy.qnet;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A tiny real backbone with random frozen weights, for tests and benchmarks: token and position
 * embeddings, mean-pooled over {@code [start] z_0 … z_{t−1}}, plus a query embedding for the next
 * position t, then one tanh layer; the head is tied to the token embeddings. Ids 0–3 are special
 * (pad, start, separator, unknown).
 *
 * <p>Hidden states depend on the whole prefix and on t, so the Q-network can tell states apart;
 * everything is a deterministic function of the seed.
 */
public final class TinyBackbone implements Backbone {

  /** The start token prepended to every prefix. */
  public static final int START = 1;

  private static final int[] SPECIAL = {0, 1, 2, 3};

  private final int vocabSize;
  private final int hiddenSize;
  private final int maxLength;
  private final float[][] embeddings;
  private final float[][] positions;
  private final float[][] queries;
  private final float[][] weight;
  private final float[] bias;
  private final TiedLinearHead head;

  /**
   * Builds the weights.
   *
   * @param manager parent PyTorch manager for the head's weights
   * @param vocabSize |V| (at least 8)
   * @param hiddenSize d
   * @param maxLength longest prefix it will be asked about
   */
  public TinyBackbone(NDManager manager, int vocabSize, int hiddenSize, int maxLength,
      long seed) {
    if (vocabSize < 8 || hiddenSize < 1 || maxLength < 1) {
      throw new IllegalArgumentException("need vocabSize ≥ 8, hiddenSize ≥ 1, maxLength ≥ 1");
    }
    this.vocabSize = vocabSize;
    this.hiddenSize = hiddenSize;
    this.maxLength = maxLength;
    SplittableRandom random = new SplittableRandom(seed);
    embeddings = gaussian(random, vocabSize, hiddenSize, 1.0);
    positions = gaussian(random, maxLength + 1, hiddenSize, 0.5);
    queries = gaussian(random, maxLength + 1, hiddenSize, 1.0);
    weight = gaussian(random, hiddenSize, hiddenSize, 1.0 / Math.sqrt(hiddenSize));
    bias = gaussian(random, 1, hiddenSize, 0.1)[0];
    float[] flat = new float[vocabSize * hiddenSize];
    for (int v = 0; v < vocabSize; v++) {
      System.arraycopy(embeddings[v], 0, flat, v * hiddenSize, hiddenSize);
    }
    // No output bias: with it the first Q would not be ≈ 0 and the first sparsemax policy would
    // put no mass on most tokens, which makes sanity runs depend on the random bias draw.
    head = new TiedLinearHead(manager, flat, null, vocabSize, hiddenSize);
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public int hiddenSize() {
    return hiddenSize;
  }

  @Override
  public int[] specialTokenIds() {
    return SPECIAL.clone();
  }

  /**
   * A WordPiece-like spelling, so that whole-word action spaces can be tested: every fifth id is a
   * continuation ({@code ##…}), every seventh a number, the rest words of letters.
   */
  @Override
  public String token(int id) {
    String letters = Integer.toString(id, 26).chars()
        .mapToObj(c -> String.valueOf((char) ('a' + Character.digit(c, 26))))
        .collect(java.util.stream.Collectors.joining());
    if (id % 5 == 0) {
      return "##" + letters;
    }
    return id % 7 == 0 ? Integer.toString(id) : letters;
  }

  @Override
  public float[][] hiddenStates(List<int[]> prefixes) {
    List<float[]> rows = new ArrayList<>(prefixes.size());
    for (int[] prefix : prefixes) {
      if (prefix.length > maxLength) {
        throw new IllegalArgumentException("prefix longer than " + maxLength);
      }
      // x̄ = mean_i (E[x_i] + P[i]) over [start] + prefix, then + query[t].
      float[] pooled = new float[hiddenSize];
      int n = prefix.length + 1;
      for (int i = 0; i < n; i++) {
        int id = i == 0 ? START : prefix[i - 1];
        if (id < 0 || id >= vocabSize) {
          throw new IllegalArgumentException("token id " + id + " outside the vocabulary");
        }
        for (int j = 0; j < hiddenSize; j++) {
          pooled[j] += (embeddings[id][j] + positions[i][j]) / n;
        }
      }
      float[] h = new float[hiddenSize];
      for (int j = 0; j < hiddenSize; j++) {
        double s = bias[j];
        for (int k = 0; k < hiddenSize; k++) {
          s += weight[j][k] * (pooled[k] + queries[prefix.length][k]);
        }
        h[j] = (float) Math.tanh(s);
      }
      rows.add(h);
    }
    return rows.toArray(new float[0][]);
  }

  @Override
  public OutputHead head() {
    return head;
  }

  @Override
  public void close() {
    head.close();
  }

  private static float[][] gaussian(SplittableRandom random, int rows, int cols, double scale) {
    float[][] a = new float[rows][cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        // Box–Muller from two uniforms; SplittableRandom has no nextGaussian on Java 17.
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        a[r][c] = (float) (scale * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
      }
    }
    return a;
  }
}
