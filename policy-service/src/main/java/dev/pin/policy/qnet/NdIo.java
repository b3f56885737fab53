package dev.pin.policy.qnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * Writes float32 NDArrays to checkpoints and reads them back into existing arrays of that shape.
 */
public final class NdIo {

  private NdIo() {}

  /** Shape then values, big-endian. */
  public static void write(DataOutputStream out, NDArray array) throws IOException {
    long[] shape = array.getShape().getShape();
    out.writeInt(shape.length);
    for (long s : shape) {
      out.writeLong(s);
    }
    float[] values = array.toFloatArray();
    out.writeInt(values.length);
    for (float v : values) {
      out.writeFloat(v);
    }
  }

  /** Reads into {@code array} in place; the stored shape must match. */
  public static void readInto(DataInputStream in, NDArray array) throws IOException {
    int rank = in.readInt();
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = in.readLong();
    }
    if (!new Shape(shape).equals(array.getShape())) {
      throw new IOException("checkpoint holds shape " + Arrays.toString(shape) + ", expected "
          + array.getShape());
    }
    int n = in.readInt();
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = in.readFloat();
    }
    array.set(values);
  }
}
