package dev.pin.policy.algorithm;

import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.replay.Episode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The record of one rollout of B prompts, token by token (§1: s_t = the prefix z_0 … z_{t−1}):
 * each state's hidden state and the token the policy chose there, and at the end the {@link
 * SampleBatch} the algorithms answer with. The choosing itself is the algorithm's.
 */
final class Rollout {

  /** One token choice at one state, with what the policy looked like there. */
  record Choice(int token, float q, float logProb, double entropy, int support, double qSpread) {}

  private final int steps;
  private final int hiddenSize;
  private final int[][] tokens;
  private final float[][] hidden;
  private final float[][] qValues;
  private final float[][] logProbs;
  private double entropySum;
  private double supportSum;
  private double spreadSum;

  Rollout(int batchSize, int steps, int hiddenSize) {
    this.steps = steps;
    this.hiddenSize = hiddenSize;
    tokens = new int[batchSize][steps];
    hidden = new float[batchSize][steps * hiddenSize];
    qValues = new float[batchSize][steps];
    logProbs = new float[batchSize][steps];
  }

  /** h_t of every row's prefix z_0 … z_{t−1}: one backbone call for the batch. */
  float[][] hiddenStates(Backbone backbone, int t) {
    List<int[]> prefixes = new ArrayList<>(tokens.length);
    for (int[] row : tokens) {
      prefixes.add(Arrays.copyOf(row, t));
    }
    float[][] h = backbone.hiddenStates(prefixes);
    if (h.length != tokens.length) {
      throw new IllegalStateException("backbone returned " + h.length + " hidden states for "
          + tokens.length + " prefixes");
    }
    return h;
  }

  /** Row {@code b}'s prompt so far, z_0 … z_{t−1}. */
  int[] prefix(int b, int t) {
    return Arrays.copyOf(tokens[b], t);
  }

  /** Row {@code b} at step t: its hidden state and the choice made there. */
  void add(int b, int t, float[] h, Choice c) {
    System.arraycopy(h, 0, hidden[b], t * hiddenSize, hiddenSize);
    tokens[b][t] = c.token();
    qValues[b][t] = c.q();
    logProbs[b][t] = c.logProb();
    entropySum += c.entropy();
    supportSum += c.support();
    spreadSum += c.qSpread();
  }

  /** The B prompts; their hidden states go into {@code cache} for the update. */
  SampleBatch finish(SampleCache cache) {
    List<SampleBatch.SampledPrompt> prompts = new ArrayList<>(tokens.length);
    for (int b = 0; b < tokens.length; b++) {
      long id = cache.add(new Episode(tokens[b], hidden[b], 0f));
      prompts.add(new SampleBatch.SampledPrompt(id, tokens[b].clone(), qValues[b], logProbs[b]));
    }
    double states = (double) tokens.length * steps;
    return new SampleBatch(prompts, entropySum / states, supportSum / states, spreadSum / states);
  }

  /** Population standard deviation of the Q values a state's policy chose among. */
  static double spread(double[] q) {
    double mean = 0;
    for (double v : q) {
      mean += v;
    }
    mean /= Math.max(1, q.length);
    double var = 0;
    for (double v : q) {
      var += (v - mean) * (v - mean);
    }
    return Math.sqrt(var / Math.max(1, q.length));
  }
}
