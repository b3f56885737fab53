package dev.pin.models.importer;

import static dev.pin.models.importer.HfConfigs.bool;
import static dev.pin.models.importer.HfConfigs.json;
import static dev.pin.models.importer.HfConfigs.num;
import static dev.pin.models.importer.HfConfigs.str;

import com.google.gson.JsonObject;
import dev.pin.models.onnx.OptConfig;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.ImportProgress;
import dev.pin.models.writer.OptModelWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Imports a HuggingFace OPT checkpoint a user brings (opt-125m, opt-350m …; MODELS.md: not
 * downloadable here): {@code config.json} ({@code model_type} opt), {@code model.safetensors}
 * ({@code OPTForCausalLM} with the {@code model.decoder.} prefix, or {@code OPTModel} with
 * {@code decoder.}; F32/F16/BF16; {@code lm_head.weight} is tied and not read) and the byte-level
 * BPE {@code tokenizer.json}, into an {@code opt-clm} model directory.
 */
public final class HfOptImporter {
  private final ModelStore store;

  /** An importer writing into {@code store}. */
  public HfOptImporter(ModelStore store) {
    this.store = store;
  }

  /** Reads the OPT hyper-parameters of a HF {@code config.json}, refusing unsupported variants. */
  public static OptConfig config(JsonObject c) throws IOException {
    String type = c.has("model_type") ? c.get("model_type").getAsString() : "";
    if (!type.equals("opt")) {
      throw new IOException("config.json has model_type '" + type
          + "'; this importer reads OPT causal LMs (model_type opt)");
    }
    String act = str(c, "activation_function", "relu");
    if (!act.equals("relu")) {
      throw new IOException("activation_function '" + act + "' is not supported (relu only)");
    }
    if (!bool(c, "enable_bias", true) || !bool(c, "layer_norm_elementwise_affine", true)) {
      throw new IOException("OPT without biases or LayerNorm affine parameters is not supported");
    }
    int hidden = num(c, "hidden_size");
    boolean before = bool(c, "do_layer_norm_before", true);
    return new OptConfig(num(c, "vocab_size"), hidden, num(c, "num_hidden_layers"),
        num(c, "num_attention_heads"), num(c, "ffn_dim"), num(c, "max_position_embeddings"),
        c.has("word_embed_proj_dim") ? c.get("word_embed_proj_dim").getAsInt() : hidden, before,
        before && !bool(c, "_remove_final_layer_norm", false), 1e-5f);
  }

  /**
   * Converts the checkpoint in {@code source} into model {@code name}.
   *
   * @throws IOException naming the missing file or unsupported setting
   */
  public ModelDir importModel(Path source, String name, ImportProgress progress)
      throws IOException {
    JsonObject json = json(source.resolve("config.json"));
    OptConfig cfg = config(json);
    int bos = json.has("bos_token_id") ? json.get("bos_token_id").getAsInt() : 2;
    int pad = json.has("pad_token_id") ? json.get("pad_token_id").getAsInt() : 1;
    Path tokenizer = source.resolve("tokenizer.json");
    if (!Files.isRegularFile(tokenizer)) {
      throw new IOException(source + " lacks tokenizer.json (save it with"
          + " AutoTokenizer.from_pretrained(...).save_pretrained)");
    }
    Path file = source.resolve("model.safetensors");
    if (!Files.isRegularFile(file)) {
      throw new IOException(source + " lacks model.safetensors");
    }
    progress.stage("reading " + file);
    try (SafeTensors st = SafeTensors.open(file)) {
      String prefix = st.contains("model.decoder.embed_tokens.weight") ? "model.decoder."
          : st.contains("decoder.embed_tokens.weight") ? "decoder." : "";
      Weights weights = n -> st.get(prefix + n);
      Map<String, String> provenance =
          StagedImport.safetensorsProvenance(source, file, HfOptImporter.class);
      return StagedImport.install(store, name, progress, staging -> {
        Files.copy(tokenizer, staging.resolve(BertModelWriter.TOKENIZER_FILE));
        progress.stage(String.format("writing %s: %d layers, hidden %d, %d heads, vocab %d, %s",
            name, cfg.numLayers(), cfg.hiddenSize(), cfg.numHeads(), cfg.vocabSize(),
            cfg.doLayerNormBefore() ? "pre-LN" : "post-LN"));
        OptModelWriter.write(staging, name, cfg, weights, bos, pad, provenance);
      });
    }
  }
}
