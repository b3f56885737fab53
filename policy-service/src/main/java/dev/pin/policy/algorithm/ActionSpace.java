package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The policy's action space (§2): the whole vocabulary minus special tokens (padding, separators,
 * unknown, unused slots), which are masked out of sampling, values and targets.
 */
public final class ActionSpace {

  private final boolean[] allowed;
  private final int size;

  /** Every id of {@code [0, vocabSize)} except {@code specialTokenIds}. */
  public ActionSpace(int vocabSize, int[] specialTokenIds) {
    allowed = new boolean[vocabSize];
    java.util.Arrays.fill(allowed, true);
    for (int id : specialTokenIds) {
      if (id >= 0 && id < vocabSize) {
        allowed[id] = false;
      }
    }
    int n = 0;
    for (boolean a : allowed) {
      n += a ? 1 : 0;
    }
    size = n;
  }

  /** |V|, including the masked ids (the width of every Q row). */
  public int vocabSize() {
    return allowed.length;
  }

  /** Number of tokens the policy may choose. */
  public int size() {
    return size;
  }

  /** True when the policy may emit {@code id}. */
  public boolean allows(int id) {
    return id >= 0 && id < allowed.length && allowed[id];
  }

  /** A copy of the mask, true = allowed. */
  public boolean[] mask() {
    return allowed.clone();
  }

  /** The mask as a boolean NDArray of shape [|V|] in {@code manager}. */
  public NDArray mask(NDManager manager) {
    return manager.create(allowed);
  }
}
