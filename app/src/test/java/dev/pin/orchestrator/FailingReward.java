package dev.pin.orchestrator;

import dev.pin.reward.custom.InvalidParameterException;
import dev.pin.reward.custom.RewardContext;
import dev.pin.reward.custom.RewardFunction;
import java.util.List;

/**
 * A custom reward that registers fine and refuses every Score as a bad parameter, as a function
 * whose {@code validate} missed one would: a run that passes StartRun's checks and then fails in
 * its first step, at the spec's fault (listed in this module's test {@code META-INF/services}).
 */
public final class FailingReward implements RewardFunction {
  /** The registered name. */
  public static final String NAME = "test-always-fails";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public float[] score(List<String> prompts, RewardContext context) {
    throw new InvalidParameterException("mode", "test reward " + NAME + " refuses every call");
  }
}
