package dev.pin.policy.qnet;

import java.util.List;

/**
 * The frozen policy LM (§2): hidden states h_t of prompt prefixes and the output head W_LM. The
 * policy only ever reads it; the Q-network is {@code Q(s_t,·) = W_LM · MLP_θ(h_t)}.
 *
 * <p>A causal LM returns the final-layer hidden state (after the final layer norm) at the last
 * position of {@code start token + prefix}; a masked LM used as a left-to-right prior encodes
 * {@code [CLS] z_0 … z_{t-1} [MASK] [SEP]} and returns the hidden state at [MASK]. Either way
 * prefixes are token ids of this backbone's vocabulary, never re-tokenised text.
 */
public interface Backbone extends AutoCloseable {

  /** |V|, the vocabulary the policy chooses from (before masking special tokens). */
  int vocabSize();

  /** d, the width of h_t. */
  int hiddenSize();

  /** Ids the policy must never emit: padding, separators, unknown, unused slots (§2). */
  int[] specialTokenIds();

  /**
   * h_t for a batch of prefixes: {@code prefixes.get(i)} holds the tokens z_0 … z_{t−1} chosen so
   * far (possibly none; the backbone adds its own start/[CLS]/[MASK]/[SEP] tokens). Returns one row
   * of d floats per prefix. Must be deterministic and safe to call from the policy's thread.
   */
  float[][] hiddenStates(List<int[]> prefixes);

  /** The frozen output head W_LM that turns MLP_θ(h_t) into Q (§2). */
  OutputHead head();

  /**
   * The head giving the frozen LM's own next-token logits ℓ = head(h_t), which the LM-prior filter
   * F_I ranks (§4.2). The same as {@link #head()} unless the backbone keeps an output bias out of
   * the Q head (see {@code OrtBertBackbone}).
   */
  default OutputHead priorHead() {
    return head();
  }

  /**
   * The vocabulary entry of {@code id} as the tokenizer spells it (e.g. {@code ##ing} or
   * {@code Ġthe}), or null where the backbone has no tokenizer.
   */
  default String token(int id) {
    return null;
  }

  /** Frees the backbone's resources; the default does nothing. */
  @Override
  default void close() {}
}
