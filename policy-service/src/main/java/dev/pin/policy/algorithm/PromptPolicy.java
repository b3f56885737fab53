package dev.pin.policy.algorithm;

import ai.djl.Device;
import dev.pin.policy.qnet.Backbone;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * A trainable prompt policy: what the Policy service drives for one run. Implemented by {@link
 * SoftQLearning} (RLPrompt, §3), {@link SparseTsallisQLearning} (PIN, §4), {@link Pez} (PEZ,
 * §7.1, and soft prompts, which have no Q-network: their "policy" is one continuous prompt and
 * its projection) and {@link PezClip} (PEZ's image inversion through CLIP's text tower).
 * Methods are synchronized per policy; gradient steps of different policies are serialised
 * process-wide because DJL's PyTorch gradient collector is a global.
 */
public interface PromptPolicy extends AutoCloseable {

  /**
   * Creates the RL policy {@code hp.algorithm()} names, on {@code backbone} (which it does not close),
   * on the CPU.
   */
  static PromptPolicy create(PolicyHyperparameters hp, Backbone backbone) {
    return create(hp, backbone, Device.cpu());
  }

  /**
   * Creates the policy on {@code device}, which must be where the backbone's heads live (every
   * operand of a PyTorch op shares one device).
   */
  static PromptPolicy create(PolicyHyperparameters hp, Backbone backbone, Device device) {
    return switch (hp.algorithm()) {
      case SOFT_Q -> new SoftQLearning(hp, backbone, device);
      case SPARSE_TSALLIS -> new SparseTsallisQLearning(hp, backbone, device);
    };
  }

  /**
   * B prompts of T tokens, token by token from the policy, or greedy (argmax) decodes. Each prompt
   * gets a sample id whose hidden states are kept for a later {@link #update}.
   */
  SampleBatch sample(int batchSize, boolean greedy);

  /**
   * One training step on (prompt, shaped reward) pairs: on-policy they form the batch, off-policy
   * they enter the replay buffer first and no step is taken until it is warm.
   *
   * @throws IllegalArgumentException for an unknown sample id without token ids, a wrong length or
   *     a token outside the action space
   */
  UpdateResult update(List<RewardedTokens> prompts);

  /** Gradient steps taken so far. */
  long step();

  /** Prompts in the replay buffer (0 when on-policy). */
  int replaySize();

  /** Tokens the policy may emit (vocabulary minus special tokens). */
  int actionSpaceSize();

  /** Trainable parameters of the MLP. */
  long trainableParameters();

  /**
   * Writes everything needed to continue exactly: MLP, target MLP, Adam state, replay buffer, RNG,
   * step, sample-id counter and the hidden states of not-yet-used samples.
   */
  void save(OutputStream out) throws IOException;

  /** Restores what {@link #save} wrote; the policy must have been built with the same settings. */
  void load(InputStream in) throws IOException;

  /** Frees native memory (not the backbone). */
  @Override
  void close();
}
