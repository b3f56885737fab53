package dev.pin.models.importer;

import static dev.pin.models.importer.HfConfigs.json;
import static dev.pin.models.importer.HfConfigs.num;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.BertNames;
import dev.pin.models.onnx.EncoderSpec;
import dev.pin.models.onnx.SequenceClassifierGraph;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.writer.EncoderModelWriter;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Imports the HuggingFace BERT-family encoders a user brings (MODELS.md: RoBERTa and pretrained
 * classifiers are not downloadable here): a directory with {@code config.json},
 * {@code model.safetensors} (F32/F16/BF16) and the tokenizer ({@code tokenizer.json}; BERT also
 * {@code vocab.txt}). The architecture is read from {@code config.json}'s {@code architectures}:
 *
 * <ul>
 *   <li>{@code BertForMaskedLM}, {@code BertForPreTraining} → {@link HfBertImporter}
 *       ({@code bert-mlm});
 *   <li>{@code RobertaForMaskedLM} → {@code roberta-mlm} (positions from {@code pad_token_id + 1},
 *       {@code lm_head} dense → GELU → LayerNorm → tied decoder + bias);
 *   <li>{@code BertForSequenceClassification} → {@code bert-cls} (pooler + linear);
 *   <li>{@code RobertaForSequenceClassification} → {@code roberta-cls} (dense → tanh → out_proj on
 *       {@code <s>}); labels from {@code id2label}.
 * </ul>
 *
 * <p>Any other architecture is refused with an error naming it. HF names map onto
 * {@link BertNames} (and {@link SequenceClassifierGraph}'s head names); {@code nn.Linear}
 * weights ({@code [out, in]}) are transposed to kernels.
 */
public final class HfEncoderImporter {
  /** The architectures this importer reads. */
  public static final List<String> ARCHITECTURES = List.of("BertForMaskedLM",
      "BertForPreTraining", "RobertaForMaskedLM", "BertForSequenceClassification",
      "RobertaForSequenceClassification");

  private final ModelStore store;

  /** An importer writing into {@code store}. */
  public HfEncoderImporter(ModelStore store) {
    this.store = store;
  }

  /** The first entry of {@code config.json}'s {@code architectures}. */
  public static String architecture(Path source) throws IOException {
    JsonObject config = json(source.resolve("config.json"));
    if (!config.has("architectures") || config.getAsJsonArray("architectures").isEmpty()) {
      throw new IOException(source + "/config.json names no architectures");
    }
    return config.getAsJsonArray("architectures").get(0).getAsString();
  }

  /**
   * Converts the checkpoint in {@code source} into model {@code name}.
   *
   * @throws IOException naming the missing file, unsupported architecture or setting
   */
  public ModelDir importModel(Path source, String name, ImportProgress progress)
      throws IOException {
    String arch = architecture(source);
    if (arch.equals("BertForMaskedLM") || arch.equals("BertForPreTraining")) {
      return new HfBertImporter(store).importModel(source, name, progress);
    }
    if (!ARCHITECTURES.contains(arch)) {
      throw new IOException(source + "/config.json has architecture '" + arch + "', which is not"
          + " supported; importable encoders: " + ARCHITECTURES);
    }
    boolean roberta = arch.startsWith("Roberta");
    JsonObject config = json(source.resolve("config.json"));
    String act = config.has("hidden_act") ? config.get("hidden_act").getAsString() : "gelu";
    if (!act.equals("gelu")) {
      throw new IOException("hidden_act '" + act + "' is not supported (the graph uses exact"
          + " erf GELU)");
    }
    int paddingIdx = roberta
        ? (config.has("pad_token_id") ? config.get("pad_token_id").getAsInt() : 1) : -1;
    BertConfig cfg = new BertConfig(num(config, "vocab_size"), num(config, "hidden_size"),
        num(config, "num_hidden_layers"), num(config, "num_attention_heads"),
        num(config, "intermediate_size"), num(config, "max_position_embeddings"),
        config.has("type_vocab_size") ? num(config, "type_vocab_size") : (roberta ? 1 : 2),
        config.has("layer_norm_eps") ? config.get("layer_norm_eps").getAsFloat()
            : (roberta ? 1e-5f : 1e-12f));
    EncoderSpec spec = new EncoderSpec(cfg, paddingIdx);
    Path tokenizerJson = source.resolve("tokenizer.json");
    if (roberta && !Files.isRegularFile(tokenizerJson)) {
      throw new IOException(source + " lacks tokenizer.json (save it with"
          + " tokenizer.save_pretrained)");
    }
    Path file = source.resolve("model.safetensors");
    if (!Files.isRegularFile(file)) {
      throw new IOException(source + " lacks model.safetensors");
    }
    progress.stage("reading " + file + " (" + arch + ")");
    try (SafeTensors st = SafeTensors.open(file)) {
      String prefix = roberta ? "roberta." : "bert.";
      if (!st.contains(prefix + "embeddings.word_embeddings.weight")) {
        prefix = "";
      }
      String p = prefix;
      Weights weights = tf -> {
        String hf = hfName(tf, p, roberta, st);
        return tf.endsWith("/kernel") ? HfBertImporter.transpose(st.get(hf)) : st.get(hf);
      };
      Map<String, String> provenance = new LinkedHashMap<>();
      provenance.put("kind", "huggingface-safetensors");
      provenance.put("path", source.toAbsolutePath().toString());
      provenance.put("architectures", arch);
      provenance.put("safetensors_sha256", MavenArtifacts.digest(file, "SHA-256"));
      provenance.put("converted_by", HfEncoderImporter.class.getName());
      provenance.put("imported_at", Instant.now().toString());
      return StagedImport.install(store, name, progress, staging -> {
        progress.stage(String.format("writing %s: %s, %d layers, hidden %d, %d heads, vocab %d",
            name, arch, cfg.numLayers(), cfg.hiddenSize(), cfg.numHeads(), cfg.vocabSize()));
        if (arch.equals("RobertaForMaskedLM")) {
          if (!st.contains("lm_head.dense.weight")) {
            throw new IOException(source + " has no lm_head: import a RobertaForMaskedLM");
          }
          EncoderModelWriter.writeRobertaMlm(staging, name, spec, weights, tokenizerJson,
              provenance);
        } else {
          List<String> labels = labels(config);
          EncoderModelWriter.TokenizerFiles tok = roberta
              ? EncoderModelWriter.TokenizerFiles.byteLevel(tokenizerJson)
              : EncoderModelWriter.TokenizerFiles.wordPiece(HfBertImporter.readVocab(source),
                  HfBertImporter.readLowerCase(source));
          EncoderModelWriter.writeClassifier(staging, name, spec, weights,
              roberta ? SequenceClassifierGraph.Head.ROBERTA
                  : SequenceClassifierGraph.Head.BERT_POOLER, labels, tok, provenance);
        }
      });
    }
  }

  /** HF tensor name of a {@link BertNames} / classifier-head name. */
  static String hfName(String tf, String prefix, boolean roberta, SafeTensors st) {
    if (roberta) {
      if (tf.equals(BertNames.OUTPUT_BIAS)) {
        return st.contains("lm_head.bias") ? "lm_head.bias" : "lm_head.decoder.bias";
      }
      tf = tf.replace(BertNames.HEAD_DENSE, "lm_head/dense")
          .replace(BertNames.HEAD_LN, "lm_head/layer_norm");
    }
    return HfBertImporter.hfName(tf, prefix, st);
  }

  /** {@code id2label} in id order ({@code LABEL_0 …} when the config has none but num_labels). */
  static List<String> labels(JsonObject config) throws IOException {
    TreeMap<Integer, String> byId = new TreeMap<>();
    if (config.has("id2label")) {
      for (Map.Entry<String, JsonElement> e : config.getAsJsonObject("id2label").entrySet()) {
        byId.put(Integer.parseInt(e.getKey()), e.getValue().getAsString());
      }
    } else if (config.has("num_labels")) {
      for (int i = 0; i < config.get("num_labels").getAsInt(); i++) {
        byId.put(i, "LABEL_" + i);
      }
    }
    if (byId.size() < 2 || byId.firstKey() != 0 || byId.lastKey() != byId.size() - 1) {
      throw new IOException("config.json id2label must number at least 2 labels 0..n-1, got "
          + byId);
    }
    return new ArrayList<>(byId.values());
  }
}
