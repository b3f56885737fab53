package dev.pin.models.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.ByteOrder;

/**
 * What it takes to rebuild the text tower of a {@code clip} model in another engine (the policy
 * service's differentiable copy for PEZ, ALGORITHMS.md §7.1), read from the {@link ClipGraph}
 * text graph itself rather than from the manifest: the sizes from the initializers' shapes, the
 * activation, LayerNorm epsilon and pooling rule from the nodes ClipGraph emitted. A rebuild from
 * this spec and {@link OnnxWeights} of the same file computes the graph's function, whatever the
 * importer's config said.
 *
 * @param config the text tower's sizes, activation, epsilon and {@code eos_token_id} (the pooling
 *     rule: {@link ClipConfig.Text#legacyArgmaxPooling()} when the graph pools at
 *     {@code argmax(input_ids)})
 * @param projectionDim width of {@code text_embeds}
 */
public record ClipTextSpec(ClipConfig.Text config, int projectionDim) {

  /** HF names of the text tower's weights, as ClipGraph reads them (dense kernels {@code [in, out]}). */
  public static final String TOKEN_EMBEDDING = "text_model.embeddings.token_embedding.weight";
  public static final String POSITION_EMBEDDING =
      "text_model.embeddings.position_embedding.weight";
  public static final String FINAL_LAYER_NORM = "text_model.final_layer_norm";
  public static final String TEXT_PROJECTION = "text_projection.weight";

  /** Scope of text layer {@code i}: {@code text_model.encoder.layers.i}. */
  public static String layer(int i) {
    return "text_model.encoder.layers." + i;
  }

  /**
   * The spec of a ClipGraph text graph.
   *
   * @param text the parsed {@code text_model.onnx}
   * @param numHeads attention heads (the manifest's {@code num_heads}: head counts leave no trace
   *     in the weight shapes)
   * @throws IOException when the graph is not one ClipGraph wrote
   */
  public static ClipTextSpec of(ModelProto text, int numHeads) throws IOException {
    int vocab = -1;
    int hidden = -1;
    int positions = -1;
    int intermediate = -1;
    int projection = -1;
    int layers = 0;
    for (TensorProto t : text.getGraph().getInitializerList()) {
      String n = t.getName();
      if (n.equals(TOKEN_EMBEDDING)) {
        vocab = (int) t.getDims(0);
        hidden = (int) t.getDims(1);
      } else if (n.equals(POSITION_EMBEDDING)) {
        positions = (int) t.getDims(0);
      } else if (n.equals(layer(0) + ".mlp.fc1.weight")) {
        intermediate = (int) t.getDims(1); // transposed to [in, out] by ClipGraph
      } else if (n.equals(TEXT_PROJECTION)) {
        projection = (int) t.getDims(1);
      } else if (n.startsWith("text_model.encoder.layers.") && n.endsWith(".layer_norm1.weight")) {
        layers++;
      }
    }
    if (vocab < 0 || positions < 0 || intermediate < 0 || projection < 0 || layers == 0) {
      throw new IOException("not a CLIP text graph (no " + TOKEN_EMBEDDING + ", "
          + POSITION_EMBEDDING + ", " + layer(0) + ".mlp.fc1.weight or " + TEXT_PROJECTION + ")");
    }
    String act = null;
    float eps = Float.NaN;
    int eos = ClipConfig.LEGACY_EOS_TOKEN_ID;
    String mlp = layer(0) + ".mlp/";
    for (NodeProto node : text.getGraph().getNodeList()) {
      String name = node.getName();
      if (name.startsWith(mlp + "quick_gelu/")) {
        act = ClipConfig.QUICK_GELU;
      } else if (name.startsWith(mlp + "gelu/")) {
        act = ClipConfig.GELU;
      } else if (name.startsWith(FINAL_LAYER_NORM + "/")
          && node.getOpType().equals("LayerNormalization")) {
        for (AttributeProto a : node.getAttributeList()) {
          if (a.getName().equals("epsilon")) {
            eps = a.getF();
          }
        }
      } else if (name.startsWith("pooler/") && node.getOpType().equals("Equal")) {
        // Pooled at the first eos_token_id; without this node, at argmax(input_ids).
        eos = (int) int64Scalar(text, node.getInput(1));
      }
    }
    if (act == null || Float.isNaN(eps)) {
      throw new IOException("not a CLIP text graph written by ClipGraph (no activation under "
          + mlp + " or no epsilon on " + FINAL_LAYER_NORM + "); re-import the model");
    }
    return new ClipTextSpec(new ClipConfig.Text(vocab, hidden, intermediate, layers, numHeads,
        positions, act, eps, eos), projection);
  }

  private static long int64Scalar(ModelProto model, String name) throws IOException {
    for (TensorProto t : model.getGraph().getInitializerList()) {
      if (t.getName().equals(name) && t.getDataType() == TensorProto.DataType.INT64.getNumber()) {
        if (!t.getRawData().isEmpty()) {
          return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong();
        }
        return t.getInt64Data(0);
      }
    }
    throw new IOException("the pooler compares the ids with '" + name + "', which is no int64 "
        + "constant of the graph");
  }
}
