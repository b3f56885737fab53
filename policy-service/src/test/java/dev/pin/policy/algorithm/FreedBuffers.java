package dev.pin.policy.algorithm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What a busy JVM may do between a forward pass and its backward: collect the Java direct buffers
 * of closed arrays (DJL's {@code from_blob} arrays: PyTorch reads them without owning them) and
 * hand their memory to new allocations. Tests call {@link #reuseNow} there, so that a graph which
 * still reads such memory in backward gets NaN instead of passing by luck ({@link Scalars}).
 */
public final class FreedBuffers {

  private FreedBuffers() {}

  /**
   * Runs a GC, gives the cleaner a moment to free unreachable direct buffers, then fills many
   * small and medium direct buffers with NaN; returns them so they stay allocated until the
   * caller's backward has run.
   */
  public static List<ByteBuffer> reuseNow() {
    System.gc();
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<ByteBuffer> taken = new ArrayList<>();
    for (int size : new int[] {4, 8, 16, 64, 256, 1024}) {
      for (int i = 0; i < 2000; i++) {
        ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
        for (int k = 0; k + 4 <= size; k += 4) {
          b.putFloat(k, Float.NaN);
        }
        taken.add(b);
      }
    }
    return taken;
  }
}
