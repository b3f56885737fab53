package dev.pin.models.importer;

import static dev.pin.models.importer.HfConfigs.flt;
import static dev.pin.models.importer.HfConfigs.json;
import static dev.pin.models.importer.HfConfigs.num;
import static dev.pin.models.importer.HfConfigs.str;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pin.models.onnx.ClipConfig;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest.ImagePreprocessing;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.ClipTokenizer;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.ClipModelWriter;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Imports a HuggingFace {@code CLIPModel} a user brings (no CLIP is downloadable here, MODELS.md):
 * {@code config.json} ({@code model_type} clip, with {@code text_config}, {@code vision_config},
 * {@code projection_dim}), {@code model.safetensors} (F32/F16/BF16), {@code tokenizer.json} and
 * {@code preprocessor_config.json}, into one {@code clip} model directory (ALGORITHMS.md §6.3).
 *
 * <p>Keys missing from the sub-configs take {@code CLIPTextConfig} / {@code CLIPVisionConfig}'s
 * defaults (ViT-B/32). The preprocessing must be what {@code ClipPreprocessor} implements —
 * resize of the shortest side and centre crop to the tower's {@code image_size}, bicubic, scale
 * 1/255, per-channel normalisation — and any other setting is refused by name rather than
 * silently approximated.
 */
public final class HfClipImporter {
  /** HF's {@code preprocessor_config.json}. */
  public static final String PREPROCESSOR_FILE = "preprocessor_config.json";
  /** PIL's {@code Image.BICUBIC}. */
  static final int PIL_BICUBIC = 3;
  static final float[] OPENAI_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
  static final float[] OPENAI_STD = {0.26862954f, 0.26130258f, 0.27577711f};

  private final ModelStore store;

  /** An importer writing into {@code store}. */
  public HfClipImporter(ModelStore store) {
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
    if (!type.equals("clip")) {
      throw new IOException(source + "/config.json has model_type '" + type
          + "'; this importer reads CLIP models (model_type clip)");
    }
    ClipConfig cfg = config(config);
    Path tokenizer = source.resolve(BertModelWriter.TOKENIZER_FILE);
    if (!Files.isRegularFile(tokenizer)) {
      throw new IOException(source + " lacks tokenizer.json (save it with"
          + " CLIPProcessor.save_pretrained or CLIPTokenizerFast.save_pretrained)");
    }
    JsonObject tj = json(tokenizer);
    int start = tokenId(tj, tokenizer, ClipTokenizer.START_OF_TEXT);
    int end = tokenId(tj, tokenizer, ClipTokenizer.END_OF_TEXT);
    ImagePreprocessing image = preprocessing(source.resolve(PREPROCESSOR_FILE),
        cfg.vision().imageSize());
    Path file = source.resolve("model.safetensors");
    if (!Files.isRegularFile(file)) {
      throw new IOException(source + " lacks model.safetensors");
    }
    progress.stage("reading " + file);
    try (SafeTensors st = SafeTensors.open(file)) {
      Weights weights = st::get;
      Map<String, String> provenance =
          StagedImport.safetensorsProvenance(source, file, HfClipImporter.class);
      return StagedImport.install(store, name, progress, staging -> {
        Files.copy(tokenizer, staging.resolve(BertModelWriter.TOKENIZER_FILE));
        Files.copy(source.resolve(PREPROCESSOR_FILE), staging.resolve(PREPROCESSOR_FILE));
        progress.stage(String.format("writing %s: text %d layers × %d, vision %d layers × %d"
            + " (%d px, patch %d), projection %d", name, cfg.text().numLayers(),
            cfg.text().hiddenSize(), cfg.vision().numLayers(), cfg.vision().hiddenSize(),
            cfg.vision().imageSize(), cfg.vision().patchSize(), cfg.projectionDim()));
        ClipModelWriter.write(staging, name, cfg, weights, start, end, image, provenance);
      });
    }
  }

  /** {@code CLIPConfig} → {@link ClipConfig}, with HF's defaults for absent keys. */
  static ClipConfig config(JsonObject config) throws IOException {
    JsonObject t = sub(config, "text_config");
    JsonObject v = sub(config, "vision_config");
    try {
      ClipConfig.Text text = new ClipConfig.Text(num(t, "vocab_size", 49408),
          num(t, "hidden_size", 512), num(t, "intermediate_size", 2048),
          num(t, "num_hidden_layers", 12), num(t, "num_attention_heads", 8),
          num(t, "max_position_embeddings", ClipTokenizer.CONTEXT_LENGTH),
          str(t, "hidden_act", ClipConfig.QUICK_GELU), flt(t, "layer_norm_eps", 1e-5f),
          num(t, "eos_token_id", 49407));
      ClipConfig.Vision vision = new ClipConfig.Vision(num(v, "hidden_size", 768),
          num(v, "intermediate_size", 3072), num(v, "num_hidden_layers", 12),
          num(v, "num_attention_heads", 12), num(v, "image_size", 224),
          num(v, "patch_size", 32), num(v, "num_channels", 3),
          str(v, "hidden_act", ClipConfig.QUICK_GELU), flt(v, "layer_norm_eps", 1e-5f));
      return new ClipConfig(text, vision, num(config, "projection_dim", 512));
    } catch (IllegalArgumentException e) {
      throw new IOException("config.json: " + e.getMessage(), e);
    }
  }

  /**
   * {@code preprocessor_config.json} → {@link ImagePreprocessing}, refusing what the service's
   * preprocessing does not implement.
   */
  static ImagePreprocessing preprocessing(Path file, int imageSize) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file.getParent() + " lacks " + PREPROCESSOR_FILE
          + " (save it with CLIPProcessor.save_pretrained)");
    }
    JsonObject p = json(file);
    for (String flag : new String[] {"do_resize", "do_center_crop", "do_rescale",
        "do_normalize"}) {
      if (p.has(flag) && !p.get(flag).getAsBoolean()) {
        throw new IOException(PREPROCESSOR_FILE + " sets " + flag + " false; CLIP's"
            + " preprocessing (resize, centre crop, rescale, normalise) is all this service runs");
      }
    }
    int resize = side(p, "size", "shortest_edge", imageSize);
    int crop = side(p, "crop_size", null, imageSize);
    if (resize != imageSize || crop != imageSize) {
      throw new IOException(PREPROCESSOR_FILE + " resizes to " + resize + " and crops to " + crop
          + " but the vision tower takes " + imageSize + "; only equal sizes are supported");
    }
    int resample = num(p, "resample", PIL_BICUBIC);
    if (resample != PIL_BICUBIC) {
      throw new IOException(PREPROCESSOR_FILE + " has resample " + resample
          + "; only bicubic (3) is implemented");
    }
    float rescale = flt(p, "rescale_factor", 1 / 255f);
    if (Math.abs(rescale - 1 / 255f) > 1e-7) {
      throw new IOException(PREPROCESSOR_FILE + " has rescale_factor " + rescale
          + "; only 1/255 is implemented");
    }
    return new ImagePreprocessing(imageSize, resize, crop, resample, rescale,
        triple(p, "image_mean", OPENAI_MEAN), triple(p, "image_std", OPENAI_STD));
  }

  /** An int or a {@code {key: n}} / square {@code {height, width}} object. */
  private static int side(JsonObject p, String field, String key, int fallback)
      throws IOException {
    if (!p.has(field) || p.get(field).isJsonNull()) {
      return fallback;
    }
    JsonElement e = p.get(field);
    if (e.isJsonPrimitive()) {
      return e.getAsInt();
    }
    JsonObject o = e.getAsJsonObject();
    if (key != null && o.has(key)) {
      return o.get(key).getAsInt();
    }
    if (o.has("height") && o.has("width")) {
      int h = o.get("height").getAsInt();
      if (h != o.get("width").getAsInt() || key != null) {
        throw new IOException(PREPROCESSOR_FILE + " " + field + " " + o + " is not a shortest-edge"
            + " resize / square crop; only CLIP's standard preprocessing is implemented");
      }
      return h;
    }
    throw new IOException(PREPROCESSOR_FILE + " " + field + " " + o + " is not understood");
  }

  private static float[] triple(JsonObject p, String key, float[] fallback) throws IOException {
    if (!p.has(key)) {
      return fallback.clone();
    }
    var a = p.getAsJsonArray(key);
    if (a.size() != 3) {
      throw new IOException(PREPROCESSOR_FILE + " " + key + " needs 3 channels, has " + a.size());
    }
    return new float[] {a.get(0).getAsFloat(), a.get(1).getAsFloat(), a.get(2).getAsFloat()};
  }

  private static JsonObject sub(JsonObject config, String key) {
    if (config.has(key) && config.get(key).isJsonObject()) {
      return config.getAsJsonObject(key);
    }
    // transformers < 4.21 saved the towers as *_dict.
    String old = key + "_dict";
    return config.has(old) && config.get(old).isJsonObject() ? config.getAsJsonObject(old)
        : new JsonObject();
  }

  private static int tokenId(JsonObject tj, Path file, String token) throws IOException {
    return HfConfigs.tokenId(tj, token).orElseThrow(() -> new IOException(
        file + " has no " + token + " token; is it a CLIP tokenizer?"));
  }
}
