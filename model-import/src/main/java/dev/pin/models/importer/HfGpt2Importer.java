package dev.pin.models.importer;

import static dev.pin.models.importer.HfConfigs.json;
import static dev.pin.models.importer.HfConfigs.num;

import com.google.gson.JsonObject;
import dev.pin.models.onnx.Gpt2Config;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.ByteLevelBpe;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.Gpt2ModelWriter;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Imports a HuggingFace GPT-2 checkpoint a user brings (GPT-2 / distilGPT-2, MODELS.md: not
 * downloadable here): {@code config.json} ({@code model_type} gpt2), {@code model.safetensors}
 * ({@code GPT2LMHeadModel}, with or without the {@code transformer.} prefix; F32/F16/BF16) and
 * {@code tokenizer.json}, into a {@code gpt2-clm} model directory.
 */
public final class HfGpt2Importer {
  private final ModelStore store;

  /** An importer writing into {@code store}. */
  public HfGpt2Importer(ModelStore store) {
    this.store = store;
  }

  /**
   * Converts the checkpoint in {@code source} into model {@code name}.
   *
   * @throws IOException naming the missing file or unsupported setting
   */
  public ModelDir importModel(Path source, String name, ImportProgress progress)
      throws IOException {
    JsonObject config = json(source.resolve("config.json"));
    String type = config.has("model_type") ? config.get("model_type").getAsString() : "";
    if (!type.equals("gpt2")) {
      throw new IOException(source + "/config.json has model_type '" + type
          + "'; this importer reads GPT-2 causal LMs (model_type gpt2)");
    }
    String act = config.has("activation_function")
        ? config.get("activation_function").getAsString() : "gelu_new";
    if (!act.equals("gelu_new")) {
      throw new IOException("activation_function '" + act + "' is not supported (gelu_new only)");
    }
    Gpt2Config cfg = new Gpt2Config(num(config, "vocab_size"), num(config, "n_embd"),
        num(config, "n_layer"), num(config, "n_head"), num(config, "n_positions"),
        config.has("layer_norm_epsilon") ? config.get("layer_norm_epsilon").getAsFloat() : 1e-5f);
    Path tokenizer = source.resolve("tokenizer.json");
    if (!Files.isRegularFile(tokenizer)) {
      throw new IOException(source + " lacks tokenizer.json (save it with"
          + " tokenizer.save_pretrained)");
    }
    int eot = endOfTextId(tokenizer);
    progress.stage("reading " + source.resolve("model.safetensors"));
    Path file = source.resolve("model.safetensors");
    if (!Files.isRegularFile(file)) {
      throw new IOException(source + " lacks model.safetensors");
    }
    try (SafeTensors st = SafeTensors.open(file)) {
      String prefix = st.contains("transformer.wte.weight") ? "transformer." : "";
      Weights weights = n -> st.get(prefix + n);
      Map<String, String> provenance =
          StagedImport.safetensorsProvenance(source, file, HfGpt2Importer.class);
      return StagedImport.install(store, name, progress, staging -> {
        Files.copy(tokenizer, staging.resolve(BertModelWriter.TOKENIZER_FILE));
        progress.stage(String.format("writing %s: %d layers, hidden %d, %d heads, vocab %d", name,
            cfg.numLayers(), cfg.hiddenSize(), cfg.numHeads(), cfg.vocabSize()));
        Gpt2ModelWriter.write(staging, name, cfg, weights, eot, provenance);
      });
    }
  }

  static int endOfTextId(Path tokenizer) throws IOException {
    return HfConfigs.tokenId(json(tokenizer), ByteLevelBpe.END_OF_TEXT).orElseThrow(
        () -> new IOException(tokenizer + " has no " + ByteLevelBpe.END_OF_TEXT + " token"));
  }
}
