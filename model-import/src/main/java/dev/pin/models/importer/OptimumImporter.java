package dev.pin.models.importer;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.CausalLayout;
import dev.pin.models.onnx.OptConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest.SpecialToken;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.Gpt2ModelWriter;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports a HF optimum ONNX export ({@code optimum-cli export onnx --task text-generation-with-past}
 * or {@code ORTModelForCausalLM.save_pretrained}) a user brings: {@code model.onnx} (and its
 * {@code model.onnx_data} when the weights are external), {@code config.json} and {@code
 * tokenizer.json}. The graph is copied as it is; the architecture comes from config.json's
 * {@code architectures} (or {@code model_type}), and the manifest records the input and output
 * names the graph really has, read from ONNX Runtime's session metadata: {@code input_ids},
 * {@code attention_mask}, optionally {@code position_ids} / {@code token_type_ids} and {@code
 * past_key_values.N.key|value}; {@code logits}, optionally {@code last_hidden_state} and {@code
 * present.N.key|value}.
 */
public final class OptimumImporter {
  /** config.json {@code architectures} entries (and {@code model_type}s) this build runs. */
  public static final Map<String, String> SUPPORTED = Map.of(
      "GPT2LMHeadModel", ModelManifest.ARCH_GPT2_CLM,
      "OPTForCausalLM", ModelManifest.ARCH_OPT_CLM);
  private static final Map<String, String> MODEL_TYPES = Map.of(
      "gpt2", ModelManifest.ARCH_GPT2_CLM, "opt", ModelManifest.ARCH_OPT_CLM);
  private static final Pattern PRESENT = Pattern.compile("present\\.(\\d+)\\.(key|value)");
  public static final String DATA_FILE = "model.onnx_data";

  private final ModelStore store;

  /** An importer writing into {@code store}. */
  public OptimumImporter(ModelStore store) {
    this.store = store;
  }

  /** Whether {@code dir} looks like an optimum export (it holds {@code model.onnx}). */
  public static boolean isOptimumExport(Path dir) {
    return Files.isRegularFile(dir.resolve(BertModelWriter.MODEL_FILE));
  }

  /**
   * The pin architecture of a HF {@code config.json}.
   *
   * @throws IOException naming the architecture and listing the supported ones
   */
  public static String architecture(JsonObject config) throws IOException {
    List<String> named = new ArrayList<>();
    if (config.has("architectures") && config.get("architectures").isJsonArray()) {
      for (JsonElement e : config.getAsJsonArray("architectures")) {
        named.add(e.getAsString());
        if (SUPPORTED.containsKey(e.getAsString())) {
          return SUPPORTED.get(e.getAsString());
        }
      }
    }
    String type = config.has("model_type") ? config.get("model_type").getAsString() : "";
    if (named.isEmpty() && MODEL_TYPES.containsKey(type)) {
      return MODEL_TYPES.get(type);
    }
    throw new IOException("architecture " + (named.isEmpty() ? "'" + type + "'" : named)
        + (named.isEmpty() ? " (model_type)" : "") + " is not supported for ONNX import;"
        + " supported: " + new java.util.TreeSet<>(SUPPORTED.keySet()) + " (model_type "
        + new java.util.TreeSet<>(MODEL_TYPES.keySet()) + ")");
  }

  /**
   * Imports the export in {@code source} as model {@code name}.
   *
   * @throws IOException naming what is missing or unsupported
   */
  public ModelDir importModel(Path source, String name, ImportProgress progress)
      throws IOException {
    JsonObject config = HfConfigs.json(source.resolve("config.json"));
    String arch = architecture(config);
    Path onnx = source.resolve(BertModelWriter.MODEL_FILE);
    Path tokenizer = source.resolve(BertModelWriter.TOKENIZER_FILE);
    for (Path p : List.of(onnx, tokenizer)) {
      if (!Files.isRegularFile(p)) {
        throw new IOException(source + " lacks " + p.getFileName());
      }
    }
    progress.stage("reading the inputs and outputs of " + onnx);
    List<String> inputs = new ArrayList<>();
    Map<String, String> outputs = new LinkedHashMap<>();
    long logitsWidth;
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        OrtSession session = OrtSessions.env().createSession(onnx.toString(), opts)) {
      inputs.addAll(session.getInputInfo().keySet());
      Map<String, NodeInfo> outInfo = session.getOutputInfo();
      for (String required : List.of(BertMlmGraph.INPUT_IDS, BertMlmGraph.ATTENTION_MASK)) {
        if (!inputs.contains(required)) {
          throw new IOException(onnx + " has no input " + required + " (inputs: " + inputs
              + "); export it with optimum's causal-lm task");
        }
      }
      if (!outInfo.containsKey(BertMlmGraph.LOGITS)) {
        throw new IOException(onnx + " has no logits output (outputs: " + outInfo.keySet()
            + "); export it with optimum's text-generation task");
      }
      outputs.put("logits", BertMlmGraph.LOGITS);
      if (outInfo.containsKey(BertMlmGraph.LAST_HIDDEN_STATE)) {
        outputs.put("last_hidden_state", BertMlmGraph.LAST_HIDDEN_STATE);
      }
      for (String o : outInfo.keySet()) {
        Matcher m = PRESENT.matcher(o);
        if (m.matches()) {
          outputs.put(CausalLayout.presentName(Integer.parseInt(m.group(1)), m.group(2)), o);
        }
      }
      long[] shape = ((TensorInfo) outInfo.get(BertMlmGraph.LOGITS).getInfo()).getShape();
      logitsWidth = shape[shape.length - 1];
    } catch (OrtException e) {
      throw new IOException("ONNX Runtime cannot load " + onnx + ": " + e.getMessage(), e);
    }

    int hidden;
    int layers;
    int heads;
    int positions;
    int vocab = num(config, "vocab_size");
    Map<String, SpecialToken> specials = new LinkedHashMap<>();
    if (arch.equals(ModelManifest.ARCH_GPT2_CLM)) {
      hidden = num(config, "n_embd");
      layers = num(config, "n_layer");
      heads = num(config, "n_head");
      positions = num(config, "n_positions");
      SpecialToken eot = new SpecialToken("<|endoftext|>", HfGpt2Importer.endOfTextId(tokenizer));
      specials.put("bos", eot);
      specials.put("eos", eot);
      specials.put("pad", eot);
    } else {
      OptConfig c = HfOptImporter.config(config);
      hidden = c.wordEmbedProjDim();
      layers = c.numLayers();
      heads = c.numHeads();
      positions = c.maxPositions();
      SpecialToken bos = new SpecialToken("</s>", config.has("bos_token_id")
          ? config.get("bos_token_id").getAsInt() : 2);
      specials.put("bos", bos);
      specials.put("eos", bos);
      specials.put("pad", new SpecialToken("<pad>", config.has("pad_token_id")
          ? config.get("pad_token_id").getAsInt() : 1));
    }
    if (logitsWidth > 0 && logitsWidth != vocab) {
      throw new IOException(onnx + " emits logits over " + logitsWidth + " tokens but config.json"
          + " has vocab_size " + vocab);
    }

    Map<String, String> files = new LinkedHashMap<>();
    files.put("model", BertModelWriter.MODEL_FILE);
    files.put("tokenizer", BertModelWriter.TOKENIZER_FILE);
    boolean external = Files.isRegularFile(source.resolve(DATA_FILE));
    if (external) {
      files.put("model-data", DATA_FILE);
    }
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("kind", "optimum-onnx");
    provenance.put("path", source.toAbsolutePath().toString());
    provenance.put("architectures", config.has("architectures")
        ? config.get("architectures").toString() : "");
    provenance.put("converted_by", OptimumImporter.class.getName());
    provenance.put("imported_at", Instant.now().toString());

    return StagedImport.install(store, name, progress, staging -> {
      progress.stage(String.format("copying %s (%s: %d layers, %d heads, vocab %d; inputs %s)",
          name, arch, layers, heads, vocab, inputs));
      Files.copy(onnx, staging.resolve(BertModelWriter.MODEL_FILE));
      Files.copy(tokenizer, staging.resolve(BertModelWriter.TOKENIZER_FILE));
      if (external) {
        Files.copy(source.resolve(DATA_FILE), staging.resolve(DATA_FILE));
      }
      new ModelManifest(ModelManifest.FORMAT_VERSION, name, arch, Gpt2ModelWriter.CLM_ROLES,
          hidden, vocab, layers, heads, positions, false, specials, inputs, outputs, files,
          ModelDir.sha256(staging.resolve(BertModelWriter.MODEL_FILE)), provenance)
          .write(staging);
    });
  }

  private static int num(JsonObject o, String key) throws IOException {
    if (!o.has(key) || o.get(key).isJsonNull()) {
      throw new IOException("config.json lacks " + key);
    }
    return o.get(key).getAsInt();
  }
}
