package dev.pin.policy.algorithm;

import java.util.ArrayList;
import java.util.List;

/**
 * The bandit sanity task: reward 1 when token {@code token} sits at position {@code position}, else
 * 0, z-scored over the step's prompts (§5) and scaled.
 */
final class Bandit {

  final int position;
  final int token;
  final double scale;

  Bandit(int position, int token, double scale) {
    this.position = position;
    this.token = token;
    this.scale = scale;
  }

  /** Shaped rewards r′ = scale·(r − mean)/(std + 1e-4), population std. */
  List<RewardedTokens> reward(SampleBatch batch) {
    int n = batch.prompts().size();
    double[] r = new double[n];
    double mean = 0;
    for (int i = 0; i < n; i++) {
      r[i] = batch.prompts().get(i).tokenIds()[position] == token ? 1 : 0;
      mean += r[i] / n;
    }
    double var = 0;
    for (double x : r) {
      var += (x - mean) * (x - mean) / n;
    }
    double std = Math.sqrt(var);
    List<RewardedTokens> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      SampleBatch.SampledPrompt p = batch.prompts().get(i);
      float shaped = (float) (scale * (r[i] - mean) / (std + 1e-4));
      out.add(new RewardedTokens(p.sampleId(), null, shaped));
    }
    return out;
  }

  /**
   * Trains until the greedy prompt has the token in place at {@code stableChecks} consecutive
   * checks (every {@code checkEvery} steps); returns the number of sample/update rounds used, or
   * −1.
   */
  int train(PromptPolicy policy, int batchSize, int maxRounds, int checkEvery, int stableChecks) {
    int stable = 0;
    for (int round = 1; round <= maxRounds; round++) {
      SampleBatch batch = policy.sample(batchSize, false);
      policy.update(reward(batch));
      if (round % checkEvery == 0) {
        int[] greedy = policy.sample(1, true).prompts().get(0).tokenIds();
        stable = greedy[position] == token ? stable + 1 : 0;
        if (stable >= stableChecks) {
          return round;
        }
      }
    }
    return -1;
  }
}
