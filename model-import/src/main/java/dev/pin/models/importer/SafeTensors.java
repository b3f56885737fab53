package dev.pin.models.importer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.Weights;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads a HuggingFace {@code .safetensors} file: an 8-byte little-endian header length, a JSON
 * header mapping each tensor to {@code dtype}, {@code shape} and {@code data_offsets} (relative to
 * the end of the header), then the raw little-endian data. F32 tensors are returned as views of
 * the mapped file; F16 and BF16 are widened to float32.
 */
public final class SafeTensors implements Weights, Closeable {
  private record Info(String dtype, long[] shape, long begin, long end) {}

  private final Path file;
  private final FileChannel channel;
  private final MappedByteBuffer mapped;
  private final long dataStart;
  private final Map<String, Info> infos = new LinkedHashMap<>();

  private SafeTensors(Path file) throws IOException {
    this.file = file;
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      if (channel.size() > Integer.MAX_VALUE) {
        throw new IOException(file + " is larger than 2 GiB; shard it (model-0000N-of-M)");
      }
      mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
      mapped.order(ByteOrder.LITTLE_ENDIAN);
      long headerLength = mapped.getLong(0);
      if (headerLength <= 0 || 8 + headerLength > channel.size()) {
        throw new IOException(file + " is not a safetensors file (header length "
            + headerLength + ")");
      }
      byte[] header = new byte[(int) headerLength];
      mapped.get(8, header);
      dataStart = 8 + headerLength;
      JsonObject json = JsonParser.parseString(new String(header, StandardCharsets.UTF_8))
          .getAsJsonObject();
      for (Map.Entry<String, JsonElement> e : json.entrySet()) {
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonObject t = e.getValue().getAsJsonObject();
        long[] shape = new long[t.getAsJsonArray("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = t.getAsJsonArray("shape").get(i).getAsLong();
        }
        var off = t.getAsJsonArray("data_offsets");
        Info info = new Info(t.get("dtype").getAsString(), shape, off.get(0).getAsLong(),
            off.get(1).getAsLong());
        if (dataStart + info.end() > channel.size() || info.begin() > info.end()) {
          throw new IOException(file + ": tensor " + e.getKey() + " lies outside the file");
        }
        infos.put(e.getKey(), info);
      }
    } catch (IOException | RuntimeException e) {
      channel.close();
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException("malformed safetensors header in " + file + ": " + e.getMessage(), e);
    }
  }

  /** Opens and indexes {@code file}. */
  public static SafeTensors open(Path file) throws IOException {
    return new SafeTensors(file);
  }

  /** Tensor names in file order. */
  public Set<String> names() {
    return infos.keySet();
  }

  /** Whether {@code name} is present. */
  public boolean contains(String name) {
    return infos.containsKey(name);
  }

  /** Shape of {@code name}. */
  public long[] shape(String name) {
    return info(name).shape().clone();
  }

  @Override
  public FloatTensor get(String name) throws IOException {
    Info info = info(name);
    long n = Arrays.stream(info.shape()).reduce(1, (a, b) -> a * b);
    ByteBuffer raw = mapped.duplicate().position((int) (dataStart + info.begin()))
        .limit((int) (dataStart + info.end())).slice().order(ByteOrder.LITTLE_ENDIAN);
    switch (info.dtype()) {
      case "F32" -> {
        check(name, raw, n * 4);
        return new FloatTensor(info.shape(), raw.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
      }
      case "F16", "BF16" -> {
        check(name, raw, n * 2);
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
          short h = raw.getShort(i * 2);
          out[i] = info.dtype().equals("BF16") ? Float.intBitsToFloat((h & 0xffff) << 16)
              : halfToFloat(h);
        }
        return FloatTensor.of(out, info.shape());
      }
      default -> throw new IOException("tensor " + name + " in " + file + " has dtype "
          + info.dtype() + "; only F32, F16 and BF16 weights can be imported");
    }
  }

  private Info info(String name) {
    Info info = infos.get(name);
    if (info == null) {
      throw new IllegalArgumentException("tensor '" + name + "' not in " + file);
    }
    return info;
  }

  private void check(String name, ByteBuffer raw, long expected) throws IOException {
    if (raw.remaining() != expected) {
      throw new IOException("tensor " + name + " in " + file + " has " + raw.remaining()
          + " bytes, its shape needs " + expected);
    }
  }

  /** IEEE 754 half → float. */
  static float halfToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0) {
      // Subnormal (or zero): mant · 2^-24.
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    if (exp == 31) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
