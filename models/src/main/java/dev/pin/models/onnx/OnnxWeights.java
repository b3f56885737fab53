package dev.pin.models.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The float initializers of an ONNX model file, by name. For {@code bert-mlm} models the names are
 * {@link BertNames}, so a caller can fetch e.g. the MLM head (ALGORITHMS.md §2: {@code W_LM} =
 * {@link BertNames#HEAD_DENSE}, {@link BertNames#HEAD_LN}, the tied
 * {@link BertNames#WORD_EMBEDDINGS} and {@link BertNames#OUTPUT_BIAS}) to rebuild it in another
 * engine, or rebuild the graph in another precision.
 */
public final class OnnxWeights implements Weights {
  private final Map<String, FloatTensor> tensors;

  private OnnxWeights(Map<String, FloatTensor> tensors) {
    this.tensors = tensors;
  }

  /** Reads every float initializer of {@code model}. */
  public static OnnxWeights read(Path model) throws IOException {
    return read(model, null);
  }

  /** Reads the float initializers of {@code model} named in {@code names} (null = all). */
  public static OnnxWeights read(Path model, Set<String> names) throws IOException {
    return of(parse(model), names, model.toString());
  }

  /**
   * The float initializers of a parsed model (for callers that also read its nodes, e.g. {@link
   * ClipTextSpec}).
   */
  public static OnnxWeights of(ModelProto proto) throws IOException {
    return of(proto, null, proto.getGraph().getName());
  }

  /** Reads the model file into its proto (initializers of any size). */
  public static ModelProto parse(Path model) throws IOException {
    try (InputStream in = Files.newInputStream(model)) {
      CodedInputStream cis = CodedInputStream.newInstance(in, 1 << 20);
      cis.setSizeLimit(Integer.MAX_VALUE);
      return ModelProto.parseFrom(cis);
    }
  }

  private static OnnxWeights of(ModelProto proto, Set<String> names, String model)
      throws IOException {
    Map<String, FloatTensor> out = new HashMap<>();
    for (TensorProto t : proto.getGraph().getInitializerList()) {
      if (t.getDataType() != TensorProto.DataType.FLOAT.getNumber()
          || (names != null && !names.contains(t.getName()))) {
        continue;
      }
      long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
      ByteBuffer data;
      if (!t.getRawData().isEmpty()) {
        data = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      } else {
        data = ByteBuffer.allocate(t.getFloatDataCount() * 4).order(ByteOrder.LITTLE_ENDIAN);
        t.getFloatDataList().forEach(data::putFloat);
        data.flip();
      }
      out.put(t.getName(), new FloatTensor(shape, data));
    }
    if (names != null && !out.keySet().containsAll(names)) {
      Set<String> missing = new java.util.TreeSet<>(names);
      missing.removeAll(out.keySet());
      throw new IOException(model + " has no float initializers " + missing);
    }
    return new OnnxWeights(out);
  }

  /** Whether {@code name} is present. */
  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  @Override
  public FloatTensor get(String name) {
    FloatTensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no float initializer '" + name + "'");
    }
    return t;
  }
}
