package dev.pin.models.tfbundle;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test-only writer of the tensor-bundle format, written from the format description (MODELS.md)
 * rather than from the reader, so the reader is checked against an independent encoding: prefix
 * compressed keys with a restart interval, several data blocks, masked CRC32C trailers.
 */
public final class TensorBundleWriter {
  private final TreeMap<String, float[]> values = new TreeMap<>();
  private final Map<String, long[]> shapes = new TreeMap<>();
  private int restartInterval = 2;
  private int blockSizeLimit = 64;
  private boolean writeCrc = true;

  public TensorBundleWriter add(String name, float[] data, long... shape) {
    values.put(name, data);
    shapes.put(name, shape);
    return this;
  }

  public TensorBundleWriter writeCrc(boolean writeCrc) {
    this.writeCrc = writeCrc;
    return this;
  }

  public void write(Path prefix) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    TreeMap<String, byte[]> table = new TreeMap<>();
    table.put("", header());
    for (Map.Entry<String, float[]> e : values.entrySet()) {
      ByteBuffer bytes = ByteBuffer.allocate(e.getValue().length * 4).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(e.getValue());
      long offset = data.size();
      data.write(bytes.array());
      int crc = Crc32c.mask(Crc32c.value(ByteBuffer.wrap(bytes.array())));
      table.put(e.getKey(), entry(shapes.get(e.getKey()), offset, bytes.capacity(), crc));
    }
    Files.write(TensorBundle.shardPath(prefix, 0, 1), data.toByteArray());
    Files.write(prefix.resolveSibling(prefix.getFileName() + ".index"), table(table));
  }

  private static byte[] header() throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bos);
    out.writeInt32(1, 1); // num_shards
    out.writeEnum(2, 0); // LITTLE endian
    out.flush();
    return bos.toByteArray();
  }

  private byte[] entry(long[] shape, long offset, long size, int crc) throws IOException {
    ByteArrayOutputStream shapeBytes = new ByteArrayOutputStream();
    CodedOutputStream s = CodedOutputStream.newInstance(shapeBytes);
    for (long d : shape) {
      ByteArrayOutputStream dim = new ByteArrayOutputStream();
      CodedOutputStream ds = CodedOutputStream.newInstance(dim);
      ds.writeInt64(1, d);
      ds.flush();
      s.writeByteArray(2, dim.toByteArray());
    }
    s.flush();
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bos);
    out.writeEnum(1, BundleEntry.DT_FLOAT);
    out.writeByteArray(2, shapeBytes.toByteArray());
    if (offset != 0) {
      out.writeInt64(4, offset);
    }
    out.writeInt64(5, size);
    if (writeCrc) {
      out.writeFixed32(6, crc);
    }
    out.flush();
    return bos.toByteArray();
  }

  /** LevelDB table: data blocks, an empty metaindex block, an index block, the footer. */
  private byte[] table(TreeMap<String, byte[]> kvs) throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    List<String> lastKeys = new ArrayList<>();
    List<long[]> handles = new ArrayList<>();
    BlockBuilder block = new BlockBuilder(restartInterval);
    String last = null;
    for (Map.Entry<String, byte[]> kv : kvs.entrySet()) {
      block.add(kv.getKey().getBytes(StandardCharsets.UTF_8), kv.getValue());
      last = kv.getKey();
      if (block.size() >= blockSizeLimit) {
        handles.add(writeBlock(file, block.finish()));
        lastKeys.add(last);
        block = new BlockBuilder(restartInterval);
      }
    }
    if (!block.isEmpty()) {
      handles.add(writeBlock(file, block.finish()));
      lastKeys.add(last);
    }
    long[] meta = writeBlock(file, new BlockBuilder(restartInterval).finish());
    BlockBuilder index = new BlockBuilder(1);
    for (int i = 0; i < handles.size(); i++) {
      index.add(lastKeys.get(i).getBytes(StandardCharsets.UTF_8),
          handle(handles.get(i)[0], handles.get(i)[1]));
    }
    long[] idx = writeBlock(file, index.finish());
    ByteBuffer footer = ByteBuffer.allocate(TensorBundle.FOOTER_LENGTH)
        .order(ByteOrder.LITTLE_ENDIAN);
    footer.put(handle(meta[0], meta[1]));
    footer.put(handle(idx[0], idx[1]));
    footer.putLong(TensorBundle.FOOTER_LENGTH - 8, TensorBundle.TABLE_MAGIC);
    file.write(footer.array());
    return file.toByteArray();
  }

  private static long[] writeBlock(ByteArrayOutputStream file, byte[] contents) {
    long offset = file.size();
    file.write(contents, 0, contents.length);
    byte[] withType = new byte[contents.length + 1];
    System.arraycopy(contents, 0, withType, 0, contents.length);
    int crc = Crc32c.mask(Crc32c.value(ByteBuffer.wrap(withType)));
    ByteBuffer trailer = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN);
    trailer.put((byte) 0).putInt(crc);
    file.write(trailer.array(), 0, 5);
    return new long[] {offset, contents.length};
  }

  private static byte[] handle(long offset, long size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    varint(out, offset);
    varint(out, size);
    return out.toByteArray();
  }

  static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static final class BlockBuilder {
    private final int interval;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final List<Integer> restarts = new ArrayList<>(List.of(0));
    private byte[] lastKey = new byte[0];
    private int counter;
    private boolean empty = true;

    BlockBuilder(int interval) {
      this.interval = interval;
    }

    void add(byte[] key, byte[] value) {
      int shared = 0;
      if (counter < interval) {
        while (shared < Math.min(key.length, lastKey.length) && key[shared] == lastKey[shared]) {
          shared++;
        }
      } else {
        restarts.add(buf.size());
        counter = 0;
      }
      varint(buf, shared);
      varint(buf, key.length - shared);
      varint(buf, value.length);
      buf.write(key, shared, key.length - shared);
      buf.write(value, 0, value.length);
      lastKey = key;
      counter++;
      empty = false;
    }

    boolean isEmpty() {
      return empty;
    }

    int size() {
      return buf.size();
    }

    byte[] finish() {
      ByteBuffer tail = ByteBuffer.allocate(4 * (restarts.size() + 1))
          .order(ByteOrder.LITTLE_ENDIAN);
      restarts.forEach(tail::putInt);
      tail.putInt(restarts.size());
      buf.write(tail.array(), 0, tail.capacity());
      return buf.toByteArray();
    }
  }
}
