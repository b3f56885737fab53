package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import dev.pin.policy.qnet.Adam;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * The checkpoint of a continuous prompt (PEZ, §7.1, either variant, and soft prompts): P,
 * AdamW's moments and step, and the sample-id counter. The format is the one PEZ wrote before its
 * AdamW became {@code qnet.Adam}'s, so those checkpoints load.
 */
final class PezCheckpoint {
  private static final int MAGIC = 0x50455A31; // "PEZ1"
  private static final int VERSION = 1;

  private PezCheckpoint() {}

  /** Writes P {@code [L, d]} (AdamW's only parameter), AdamW's state and the next sample id. */
  static void save(OutputStream out, NDArray p, Adam adamW, long nextSampleId)
      throws IOException {
    DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(out));
    o.writeInt(MAGIC);
    o.writeInt(VERSION);
    o.writeInt((int) p.getShape().get(0));
    o.writeInt((int) p.getShape().get(1));
    o.writeLong(adamW.steps());
    o.writeLong(nextSampleId);
    for (float[] a : new float[][] {p.toFloatArray(), adamW.firstMoment(0),
        adamW.secondMoment(0)}) {
      for (float f : a) {
        o.writeFloat(f);
      }
    }
    o.flush();
  }

  /**
   * Restores P and AdamW's state from what {@link #save} wrote; returns the next sample id.
   *
   * @throws IOException when it is no PEZ checkpoint or holds a prompt of another shape
   */
  static long load(InputStream in, NDArray p, Adam adamW) throws IOException {
    DataInputStream i = new DataInputStream(new java.io.BufferedInputStream(in));
    if (i.readInt() != MAGIC || i.readInt() != VERSION) {
      throw new IOException("not a PEZ checkpoint of version " + VERSION);
    }
    int l = i.readInt();
    int width = i.readInt();
    long rows = p.getShape().get(0);
    long d = p.getShape().get(1);
    if (l != rows || width != d) {
      throw new IOException("the checkpoint holds a " + l + "×" + width + " prompt; this run's is "
          + rows + "×" + d);
    }
    long step = i.readLong();
    long sampleId = i.readLong();
    float[][] state = new float[3][l * width];
    for (float[] a : state) {
      for (int k = 0; k < a.length; k++) {
        a[k] = i.readFloat();
      }
    }
    p.set(state[0]);
    adamW.restore(step, List.of(state[1]), List.of(state[2]));
    return sampleId;
  }
}
