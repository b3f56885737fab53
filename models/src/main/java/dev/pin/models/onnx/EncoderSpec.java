package dev.pin.models.onnx;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.BertNames;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.writer.EncoderModelWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What it takes to rebuild a BERT-family encoder graph from its weights: the sizes, the LayerNorm
 * epsilon and the position scheme. Written as {@code encoder.json} (file role {@code
 * encoder_config}) by {@link EncoderModelWriter}; BERT masked LMs imported before it existed have
 * none and get BERT's defaults (epsilon 1e-12, absolute positions) with sizes from the manifest
 * and weight shapes.
 *
 * @param config sizes and epsilon
 * @param positionPaddingIdx RoBERTa's padding_idx, or -1 for BERT's absolute positions
 */
public record EncoderSpec(BertConfig config, int positionPaddingIdx) {
  public static final String FILE = "encoder.json";
  public static final String FILE_ROLE = "encoder_config";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** Writes {@code encoder.json} into {@code dir}. */
  public void write(Path dir) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("vocab_size", config.vocabSize());
    o.addProperty("hidden_size", config.hiddenSize());
    o.addProperty("num_hidden_layers", config.numLayers());
    o.addProperty("num_attention_heads", config.numHeads());
    o.addProperty("intermediate_size", config.intermediateSize());
    o.addProperty("max_position_embeddings", config.maxPositions());
    o.addProperty("type_vocab_size", config.typeVocabSize());
    o.addProperty("layer_norm_eps", config.layerNormEps());
    o.addProperty("position_padding_idx", positionPaddingIdx);
    Files.writeString(dir.resolve(FILE), GSON.toJson(o) + "\n", StandardCharsets.UTF_8);
  }

  /**
   * The spec of an encoder model directory.
   *
   * @param weights its weights (read for the sizes of pre-{@code encoder.json} BERT models)
   */
  public static EncoderSpec of(ModelDir model, Weights weights) throws IOException {
    ModelManifest m = model.manifest();
    String f = m.files().get(FILE_ROLE);
    if (f == null) {
      if (!ModelManifest.ARCH_BERT_MLM.equals(m.architecture())) {
        throw new IOException("model " + m.name() + " (" + m.architecture() + ") has no "
            + FILE + "; re-import it");
      }
      String inter = BertNames.kernel(BertNames.layer(0) + "/intermediate/dense");
      return new EncoderSpec(new BertConfig(m.vocabSize(), m.hiddenSize(), m.numLayers(),
          m.numHeads(), (int) weights.get(inter).shape()[1],
          (int) weights.get(BertNames.POSITION_EMBEDDINGS).shape()[0],
          (int) weights.get(BertNames.TOKEN_TYPE_EMBEDDINGS).shape()[0], 1e-12f), -1);
    }
    JsonObject o;
    try {
      o = JsonParser.parseString(Files.readString(model.dir().resolve(f),
          StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IOException("malformed " + model.dir().resolve(f) + ": " + e.getMessage(), e);
    }
    return new EncoderSpec(new BertConfig(o.get("vocab_size").getAsInt(),
        o.get("hidden_size").getAsInt(), o.get("num_hidden_layers").getAsInt(),
        o.get("num_attention_heads").getAsInt(), o.get("intermediate_size").getAsInt(),
        o.get("max_position_embeddings").getAsInt(), o.get("type_vocab_size").getAsInt(),
        o.get("layer_norm_eps").getAsFloat()), o.get("position_padding_idx").getAsInt());
  }

  /** Longest input in tokens: RoBERTa's table reserves {@code padding_idx + 1} rows. */
  public int maxInputTokens() {
    return config.maxPositions() - (positionPaddingIdx < 0 ? 0 : positionPaddingIdx + 1);
  }
}
