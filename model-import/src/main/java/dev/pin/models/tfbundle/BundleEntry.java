package dev.pin.models.tfbundle;

import java.util.Arrays;

/**
 * One tensor of a bundle, decoded from its {@code BundleEntryProto}.
 *
 * @param name variable name, e.g. {@code bert/embeddings/word_embeddings}
 * @param dtype TensorFlow {@code DataType} enum value (1 = DT_FLOAT)
 * @param shape dimensions, outermost first
 * @param shardId which {@code variables.data-NNNNN-of-MMMMM} file holds the bytes
 * @param offset byte offset in that shard
 * @param size byte length
 * @param crc32c masked CRC32C of the bytes, meaningful only when {@code hasCrc32c}
 * @param hasCrc32c whether the writer stored a checksum
 */
public record BundleEntry(
    String name,
    int dtype,
    long[] shape,
    int shardId,
    long offset,
    long size,
    int crc32c,
    boolean hasCrc32c) {

  /** TensorFlow's {@code DT_FLOAT}. */
  public static final int DT_FLOAT = 1;

  /** Number of elements (product of the shape; 1 for a scalar). */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public String toString() {
    return name + " dtype=" + dtype + " shape=" + Arrays.toString(shape) + " shard=" + shardId
        + " offset=" + offset + " size=" + size;
  }
}
