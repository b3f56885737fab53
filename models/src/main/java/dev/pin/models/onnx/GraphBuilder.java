package dev.pin.models.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * A thin, name-managing layer over {@link GraphProto.Builder}: every node gets a unique output
 * name derived from a readable scope, and initializers wrap weight bytes without copying.
 */
public final class GraphBuilder {
  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final Map<String, Integer> counters = new HashMap<>();
  private final Map<String, String> constants = new HashMap<>();

  /** Starts a graph called {@code name}. */
  public GraphBuilder(String name) {
    graph.setName(name);
  }

  /** The underlying protobuf builder, for inputs, outputs and value infos. */
  public GraphProto.Builder proto() {
    return graph;
  }

  /** The finished model: this graph at the project's IR version and opset. */
  public ModelProto model(String docString) {
    return ModelProto.newBuilder()
        .setIrVersion(BertMlmGraph.IR_VERSION)
        .setProducerName("pin")
        .setDocString(docString)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("")
            .setVersion(BertMlmGraph.OPSET))
        .setGraph(graph)
        .build();
  }

  /**
   * Adds node {@code op} reading {@code inputs}, with output named after {@code scope}.
   *
   * @return the output name
   */
  public String node(String op, String scope, String[] inputs, AttributeProto... attrs) {
    return nodeMulti(op, scope, 1, inputs, attrs)[0];
  }

  /** Like {@link #node} for operators with several outputs. */
  public String[] nodeMulti(String op, String scope, int outputs, String[] inputs,
      AttributeProto... attrs) {
    int n = counters.merge(scope + "/" + op, 1, Integer::sum);
    String base = scope + "/" + op + (n == 1 ? "" : "_" + n);
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(base);
    for (String in : inputs) {
      node.addInput(in);
    }
    String[] outs = new String[outputs];
    for (int i = 0; i < outputs; i++) {
      outs[i] = base + ":" + i;
      node.addOutput(outs[i]);
    }
    for (AttributeProto a : attrs) {
      node.addAttribute(a);
    }
    graph.addNode(node);
    return outs;
  }

  /** Adds a float initializer called {@code name}, wrapping {@code t}'s bytes (no copy). */
  public String initializer(String name, FloatTensor t) {
    TensorProto.Builder tp = TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.FLOAT.getNumber())
        .setRawData(UnsafeByteOperations.unsafeWrap(t.data().duplicate()));
    for (long d : t.shape()) {
      tp.addDims(d);
    }
    graph.addInitializer(tp);
    return name;
  }

  /** An int8 initializer called {@code name}. */
  public String int8(String name, byte[] values, long... shape) {
    TensorProto.Builder tp = TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.INT8.getNumber())
        .setRawData(com.google.protobuf.ByteString.copyFrom(values));
    for (long d : shape) {
      tp.addDims(d);
    }
    graph.addInitializer(tp);
    return name;
  }

  /** A shared int64 constant initializer (deduplicated by value and shape). */
  public String int64(long[] values, long... shape) {
    String key = "i64" + java.util.Arrays.toString(values) + java.util.Arrays.toString(shape);
    return constants.computeIfAbsent(key, k -> {
      String name = "const/int64_" + constants.size();
      ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
      for (long v : values) {
        b.putLong(v);
      }
      b.flip();
      TensorProto.Builder tp = TensorProto.newBuilder().setName(name)
          .setDataType(TensorProto.DataType.INT64.getNumber())
          .setRawData(UnsafeByteOperations.unsafeWrap(b));
      for (long d : shape) {
        tp.addDims(d);
      }
      graph.addInitializer(tp);
      return name;
    });
  }

  /** A shared float32 scalar constant. */
  public String scalar(float value) {
    String key = "f32" + Float.floatToIntBits(value);
    return constants.computeIfAbsent(key, k -> {
      String name = "const/float_" + constants.size();
      graph.addInitializer(TensorProto.newBuilder().setName(name)
          .setDataType(TensorProto.DataType.FLOAT.getNumber())
          .addFloatData(value));
      return name;
    });
  }

  /** Integer attribute. */
  public static AttributeProto attr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  /** Float attribute. */
  public static AttributeProto attr(String name, float value) {
    return AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
  }

  /** A one-element float tensor attribute (e.g. ConstantOfShape's {@code value}). */
  public static AttributeProto tensorAttr(String name, float value) {
    return AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.TENSOR)
        .setT(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT.getNumber())
            .addDims(1).addFloatData(value))
        .build();
  }

  /** Integer-list attribute. */
  public static AttributeProto attrs(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  /** A tensor type with symbolic ({@code String}) or fixed ({@code Number}) dimensions. */
  public static OnnxMl.ValueInfoProto valueInfo(String name, TensorProto.DataType type,
      Object... dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
    for (Object d : dims) {
      OnnxMl.TensorShapeProto.Dimension.Builder dim = OnnxMl.TensorShapeProto.Dimension
          .newBuilder();
      if (d instanceof Number n) {
        dim.setDimValue(n.longValue());
      } else {
        dim.setDimParam(d.toString());
      }
      shape.addDim(dim);
    }
    return OnnxMl.ValueInfoProto.newBuilder().setName(name)
        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(type.getNumber()).setShape(shape)))
        .build();
  }
}
