package dev.pin.policy.replay;

/**
 * One prompt as the learner sees it (§4.4): its token ids, the frozen LM's hidden states for its T
 * states (row-major [T][d], valid forever because the LM is frozen) and its shaped reward.
 */
public record Episode(int[] tokens, float[] hidden, float reward) {

  /** A copy with another reward. */
  public Episode withReward(float newReward) {
    return new Episode(tokens, hidden, newReward);
  }
}
