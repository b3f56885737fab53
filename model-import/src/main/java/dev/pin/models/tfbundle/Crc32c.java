package dev.pin.models.tfbundle;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C helpers in the LevelDB/TensorFlow convention: stored checksums are "masked" so that a
 * checksum of data that itself embeds checksums does not degenerate.
 */
public final class Crc32c {
  private static final int MASK_DELTA = 0xa282ead8;

  private Crc32c() {}

  /** Plain CRC32C of {@code buffer}'s remaining bytes; the buffer's position is not moved. */
  public static int value(ByteBuffer buffer) {
    CRC32C crc = new CRC32C();
    crc.update(buffer.duplicate());
    return (int) crc.getValue();
  }

  /** Masks a CRC as LevelDB's {@code crc32c::Mask}. */
  public static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  /** Inverse of {@link #mask}. */
  public static int unmask(int masked) {
    int rot = masked - MASK_DELTA;
    return (rot >>> 17) | (rot << 15);
  }
}
