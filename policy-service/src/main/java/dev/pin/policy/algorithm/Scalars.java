package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Multiplying or dividing by a constant where autograd will differentiate the result: use these,
 * not DJL's {@code x.mul(Number)} / {@code x.div(Number)}.
 *
 * <p>Why: DJL wraps the number in a 0-d array over a Java direct buffer ({@code torch.from_blob}:
 * PyTorch does not own the memory) and closes that array as soon as the op returns. Autograd keeps
 * the constant for the backward pass (d(c·x)/dx = c), and once the closed array is garbage
 * collected its buffer is freed under it: a GC between forward and backward made the gradient 0,
 * ∞ or NaN (PEZ's NaN gradients in busy test JVMs; the RL losses' ½, α and γ were exposed the same
 * way). The constants made here are copies in memory PyTorch owns, which autograd's reference
 * keeps alive; they live in {@code x}'s manager and the caller's NDScope like any intermediate.
 * ({@code add}/{@code sub} of a number are safe: their backward does not read the constant.)
 */
public final class Scalars {

  private Scalars() {}

  /** {@code c·x}, safe to differentiate. */
  public static NDArray times(NDArray x, double c) {
    return x.mul(constant(x, c));
  }

  /** {@code x / c}, safe to differentiate. */
  public static NDArray dividedBy(NDArray x, double c) {
    return x.div(constant(x, c));
  }

  /** A 0-d array holding {@code value} in {@code x}'s data type, device and manager. */
  public static NDArray constant(NDArray x, double value) {
    NDArray borrowed = x.getManager().create(value); // float64 over a Java buffer
    NDArray owned = x.getDataType() == DataType.FLOAT64 ? borrowed.duplicate()
        : borrowed.toType(x.getDataType(), false);
    borrowed.close();
    return owned;
  }
}
