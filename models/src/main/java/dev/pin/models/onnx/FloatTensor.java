package dev.pin.models.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A float32 tensor as little-endian bytes plus a shape; the bytes may be a view of a mapped file,
 * so large checkpoints never need a {@code float[]} copy.
 *
 * @param shape dimensions, outermost first
 * @param data little-endian float32 values, row-major; read from position 0 to limit
 */
public record FloatTensor(long[] shape, ByteBuffer data) {

  /** Checks that the byte length agrees with the shape. */
  public FloatTensor {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (data.remaining() != n * 4) {
      throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " needs "
          + n * 4 + " bytes, got " + data.remaining());
    }
  }

  /** Wraps Java floats (copied into a little-endian buffer). */
  public static FloatTensor of(float[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new FloatTensor(shape.clone(), b);
  }

  /** Number of elements. */
  public int size() {
    return data.remaining() / 4;
  }

  /** The values as a new array. */
  public float[] toFloats() {
    float[] out = new float[size()];
    data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }
}
