package dev.pin.models.writer;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.BertNames;
import dev.pin.models.onnx.Int8Recipe;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.models.onnx.Precision;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest.SpecialToken;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Writes a {@code bert-mlm} model directory: {@code model.onnx} (built by {@link BertMlmGraph}),
 * {@code vocab.txt}, {@code tokenizer.json} and {@code manifest.json} (written last, so a
 * directory with a manifest is complete).
 */
public final class BertModelWriter {
  public static final String MODEL_FILE = "model.onnx";
  public static final String VOCAB_FILE = "vocab.txt";
  public static final String TOKENIZER_FILE = "tokenizer.json";
  /** What a BERT masked LM can serve (ALGORITHMS.md §2, §6.1, §7.3). */
  public static final List<String> MLM_ROLES = List.of("masked-lm", "policy-backbone",
      "naturalness");

  private BertModelWriter() {}

  /**
   * Writes the model into {@code dir} (created if needed).
   *
   * @param name store name recorded in the manifest
   * @param source provenance entries (kind, coordinates, checksums …)
   */
  public static ModelDir write(Path dir, String name, BertConfig config, Weights weights,
      List<String> vocab, boolean lowerCase, Map<String, String> source) throws IOException {
    if (vocab.size() != config.vocabSize()) {
      throw new IllegalArgumentException("vocabulary has " + vocab.size() + " tokens but the"
          + " embeddings have " + config.vocabSize() + " rows");
    }
    Files.createDirectories(dir);
    Map<String, SpecialToken> specials = new LinkedHashMap<>();
    for (String[] roleToken : new String[][] {{"cls", "[CLS]"}, {"sep", "[SEP]"},
        {"mask", "[MASK]"}, {"pad", "[PAD]"}, {"unk", "[UNK]"}}) {
      int id = vocab.indexOf(roleToken[1]);
      if (id < 0) {
        throw new IllegalArgumentException("vocabulary lacks " + roleToken[1]);
      }
      specials.put(roleToken[0], new SpecialToken(roleToken[1], id));
    }
    Files.write(dir.resolve(VOCAB_FILE), vocab, StandardCharsets.UTF_8);
    WordPieceTokenizer tokenizer = new WordPieceTokenizer(vocab, lowerCase,
        specials.values().stream().map(SpecialToken::token).toList());
    tokenizer.writeHuggingFaceJson(dir.resolve(TOKENIZER_FILE));

    ModelProto proto = BertMlmGraph.build(config, weights, "BERT masked LM '" + name + "'");
    Path model = dir.resolve(MODEL_FILE);
    BertMlmGraph.write(proto, model);

    ModelManifest manifest = new ModelManifest(
        ModelManifest.FORMAT_VERSION,
        name,
        ModelManifest.ARCH_BERT_MLM,
        MLM_ROLES,
        config.hiddenSize(),
        config.vocabSize(),
        config.numLayers(),
        config.numHeads(),
        config.maxPositions(),
        lowerCase,
        specials,
        List.of(BertMlmGraph.INPUT_IDS, BertMlmGraph.ATTENTION_MASK, BertMlmGraph.TOKEN_TYPE_IDS,
            BertMlmGraph.POSITIONS),
        Map.of("logits", BertMlmGraph.LOGITS, "last_hidden_state", BertMlmGraph.LAST_HIDDEN_STATE),
        Map.of("model", MODEL_FILE, "vocab", VOCAB_FILE, "tokenizer", TOKENIZER_FILE),
        ModelDir.sha256(model),
        source);
    manifest.write(dir);
    return ModelDir.open(dir);
  }

  /** Manifest {@code source} key naming the {@link Int8Recipe} of the int8 variant. */
  public static final String INT8_RECIPE_KEY = "int8_recipe";

  /**
   * Adds (or rewrites) the {@code precision} variant of an existing {@code bert-mlm} directory;
   * int8 uses the most accurate recipe this CPU runs correctly ({@link Int8Recipe#forCpu}).
   */
  public static ModelDir addVariant(ModelDir model, Precision precision) throws IOException {
    if (precision == Precision.FP32) {
      return model;
    }
    return addVariant(model, Int8Recipe.forCpu(CpuFeatures.detect()));
  }

  /**
   * Adds (or rewrites) the int8 variant of an existing {@code bert-mlm} directory, quantized by
   * {@code recipe} from the float32 graph's own initializers, and records the file and the
   * recipe (source key {@value #INT8_RECIPE_KEY}) in the manifest.
   */
  public static ModelDir addVariant(ModelDir model, Int8Recipe recipe) throws IOException {
    Precision precision = Precision.INT8;
    ModelManifest m = model.manifest();
    OnnxWeights weights = OnnxWeights.read(model.modelFile());
    BertConfig config = configOf(m, weights);
    ModelProto proto = BertMlmGraph.build(config, weights,
        "BERT masked LM '" + m.name() + "', int8 recipe " + recipe.id(), recipe);
    Path tmp = model.dir().resolve(precision.fileName() + ".tmp");
    BertMlmGraph.write(proto, tmp);
    Files.move(tmp, model.dir().resolve(precision.fileName()),
        StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Map<String, String> files = new TreeMap<>(m.files());
    files.put(precision.fileRole(), precision.fileName());
    Map<String, String> source = new LinkedHashMap<>(m.source());
    source.put(INT8_RECIPE_KEY, recipe.id());
    new ModelManifest(m.formatVersion(), m.name(), m.architecture(), m.roles(), m.hiddenSize(),
        m.vocabSize(), m.numLayers(), m.numHeads(), m.maxPositions(), m.doLowerCase(),
        m.specialTokens(), m.inputs(), m.outputs(), files, m.modelSha256(), source)
        .write(model.dir());
    return ModelDir.open(model.dir());
  }

  /**
   * What an import does about the int8 variant of a {@code bert-mlm} model: when wanted ({@code
   * asked}, or by default where {@code cpu} has VNNI) and missing or built by another recipe than
   * {@link Int8Recipe#forCpu}, (re)builds it — so re-importing replaces an old 7-bit variant with
   * the VNNI recipe. Other architectures and unwanted variants are left as they are.
   *
   * @param asked {@code --int8} (true), {@code --no-int8} (false), or null for the CPU's default
   * @return the model directory, reopened if the variant was written
   */
  public static ModelDir ensureInt8Variant(ModelDir dir, CpuFeatures cpu, Boolean asked,
      ImportProgress progress) throws IOException {
    boolean wanted = asked != null ? asked : cpu.hasVnni();
    if (!wanted || !ModelManifest.ARCH_BERT_MLM.equals(dir.manifest().architecture())) {
      return dir;
    }
    Int8Recipe recipe = Int8Recipe.forCpu(cpu);
    Optional<Int8Recipe> have = int8Recipe(dir.manifest());
    if (have.isPresent() && have.get().equals(recipe)) {
      return dir;
    }
    progress.stage((have.isPresent() ? "rebuilding the int8 variant (was recipe "
        + have.get().id() + ")" : "writing the int8 variant") + " with recipe " + recipe.id()
        + " for " + cpu.describe());
    return addVariant(dir, recipe);
  }

  /**
   * The recipe of {@code model}'s int8 variant: the manifest's record, or
   * {@link Int8Recipe#REDUCED_RANGE} for a variant written before recipes were recorded; empty
   * when there is no int8 variant.
   */
  public static Optional<Int8Recipe> int8Recipe(ModelManifest m) {
    if (!m.files().containsKey(Precision.INT8.fileRole())) {
      return Optional.empty();
    }
    String id = m.source() == null ? null : m.source().get(INT8_RECIPE_KEY);
    return Optional.of(id == null ? Int8Recipe.REDUCED_RANGE : Int8Recipe.parse(id));
  }

  /** The BertConfig of a model, from its manifest and weight shapes. */
  static BertConfig configOf(ModelManifest m, OnnxWeights w) {
    String inter = BertNames.kernel(BertNames.layer(0) + "/intermediate/dense");
    return new BertConfig(m.vocabSize(), m.hiddenSize(), m.numLayers(), m.numHeads(),
        (int) w.get(inter).shape()[1], m.maxPositions(),
        (int) w.get(BertNames.TOKEN_TYPE_EMBEDDINGS).shape()[0], 1e-12f);
  }
}
