package dev.pin.models.store;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a model directory: what the model is, what it can serve and how to
 * feed it. Serialised with snake_case keys.
 *
 * @param formatVersion manifest format version ({@link #FORMAT_VERSION})
 * @param name store name, e.g. {@code bert-base-uncased}
 * @param architecture graph family: {@code bert-mlm} or {@code gpt2-clm}
 * @param roles what callers may use it for, e.g. {@code masked-lm}, {@code policy-backbone},
 *     {@code naturalness}
 * @param hiddenSize width of {@code last_hidden_state}
 * @param vocabSize width of the logits
 * @param numLayers encoder layers
 * @param numHeads attention heads
 * @param maxPositions longest input in tokens
 * @param doLowerCase whether the tokenizer lower-cases and strips accents
 * @param specialTokens role → token and id ({@code cls, sep, mask, pad, unk} for BERT;
 *     {@code bos, eos, pad} for GPT-2)
 * @param inputs graph input names, in the order the graph declares them
 * @param outputs role → graph output name ({@code logits} [batch, positions, vocab] at the
 *     {@code positions} input, {@code last_hidden_state} [batch, sequence, hidden])
 * @param files role → file name in the directory ({@code model}, optional {@code model-int8},
 *     {@code vocab} for WordPiece models, {@code tokenizer})
 * @param modelSha256 hex SHA-256 of the model file
 * @param source where the weights came from and how they were converted
 * @param imagePreprocessing for {@code clip} models, the vision tower's input preprocessing
 *     (HF's {@code preprocessor_config.json}); null for text-only models
 * @param labels class names in logit order, for sequence classifiers (null otherwise)
 */
public record ModelManifest(
    int formatVersion,
    String name,
    String architecture,
    List<String> roles,
    int hiddenSize,
    int vocabSize,
    int numLayers,
    int numHeads,
    int maxPositions,
    boolean doLowerCase,
    Map<String, SpecialToken> specialTokens,
    List<String> inputs,
    Map<String, String> outputs,
    Map<String, String> files,
    String modelSha256,
    Map<String, String> source,
    ImagePreprocessing imagePreprocessing,
    List<String> labels) {

  public static final int FORMAT_VERSION = 1;
  public static final String FILE_NAME = "manifest.json";
  public static final String ARCH_BERT_MLM = "bert-mlm";
  public static final String ARCH_GPT2_CLM = "gpt2-clm";
  /** RoBERTa masked LM: byte-level BPE, {@code <s> … </s>}, mask {@code <mask>}. */
  public static final String ARCH_ROBERTA_MLM = "roberta-mlm";
  /** BERT encoder + classification head, output {@code logits [batch, labels]}. */
  public static final String ARCH_BERT_CLS = "bert-cls";
  /** RoBERTa encoder + classification head, output {@code logits [batch, labels]}. */
  public static final String ARCH_ROBERTA_CLS = "roberta-cls";
  /** Role of a model that classifies sequences (a style or fluency classifier, §6.2). */
  public static final String ROLE_SEQUENCE_CLASSIFIER = "sequence-classifier";
  /** Role of a model whose token embeddings feed BERTScore (§6.2). */
  public static final String ROLE_TOKEN_EMBEDDER = "token-embedder";

  /** OPT causal LM ({@code OPTForCausalLM}), either layer-norm layout (ALGORITHMS.md §6.2). */
  public static final String ARCH_OPT_CLM = "opt-clm";

  // ---- CLIP (ALGORITHMS.md §6.3) ----

  /**
   * A CLIP model: {@code files.model} is the text tower ({@code input_ids, attention_mask →
   * text_embeds}), {@code files.vision-model} the vision tower ({@code pixel_values →
   * image_embeds}); {@code hidden_size} is the projection width of both embeddings, the other
   * sizes are the text tower's.
   */
  public static final String ARCH_CLIP = "clip";

  /**
   * How a CLIP vision tower wants its images (HF {@code CLIPImageProcessor} names in brackets):
   * resize the shortest side to {@code resizeShortestEdge} with {@code resample}, centre-crop to
   * {@code cropSize}, scale by {@code rescaleFactor}, normalise per RGB channel.
   *
   * @param imageSize the graph's input resolution ({@code vision_config.image_size})
   * @param resizeShortestEdge target of the shortest side ({@code size.shortest_edge})
   * @param cropSize centre-crop side ({@code crop_size})
   * @param resample PIL filter code ({@code resample}; 3 = bicubic)
   * @param rescaleFactor pixel scale ({@code rescale_factor}, 1/255)
   * @param imageMean per-channel mean ({@code image_mean})
   * @param imageStd per-channel std ({@code image_std})
   */
  public record ImagePreprocessing(int imageSize, int resizeShortestEdge, int cropSize,
      int resample, float rescaleFactor, float[] imageMean, float[] imageStd) {}

  /** A manifest without image preprocessing or labels (every text-only, non-classifier model). */
  public ModelManifest(int formatVersion, String name, String architecture, List<String> roles,
      int hiddenSize, int vocabSize, int numLayers, int numHeads, int maxPositions,
      boolean doLowerCase, Map<String, SpecialToken> specialTokens, List<String> inputs,
      Map<String, String> outputs, Map<String, String> files, String modelSha256,
      Map<String, String> source) {
    this(formatVersion, name, architecture, roles, hiddenSize, vocabSize, numLayers, numHeads,
        maxPositions, doLowerCase, specialTokens, inputs, outputs, files, modelSha256, source,
        null, null);
  }

  /** A CLIP manifest: image preprocessing, no labels. */
  public ModelManifest(int formatVersion, String name, String architecture, List<String> roles,
      int hiddenSize, int vocabSize, int numLayers, int numHeads, int maxPositions,
      boolean doLowerCase, Map<String, SpecialToken> specialTokens, List<String> inputs,
      Map<String, String> outputs, Map<String, String> files, String modelSha256,
      Map<String, String> source, ImagePreprocessing imagePreprocessing) {
    this(formatVersion, name, architecture, roles, hiddenSize, vocabSize, numLayers, numHeads,
        maxPositions, doLowerCase, specialTokens, inputs, outputs, files, modelSha256, source,
        imagePreprocessing, null);
  }

  /** A sequence classifier's manifest: labels, no image preprocessing. */
  public ModelManifest(int formatVersion, String name, String architecture, List<String> roles,
      int hiddenSize, int vocabSize, int numLayers, int numHeads, int maxPositions,
      boolean doLowerCase, Map<String, SpecialToken> specialTokens, List<String> inputs,
      Map<String, String> outputs, Map<String, String> files, String modelSha256,
      Map<String, String> source, List<String> labels) {
    this(formatVersion, name, architecture, roles, hiddenSize, vocabSize, numLayers, numHeads,
        maxPositions, doLowerCase, specialTokens, inputs, outputs, files, modelSha256, source,
        null, labels);
  }

  private static final Gson GSON = new GsonBuilder()
      .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
      .setPrettyPrinting()
      .disableHtmlEscaping()
      .create();

  /**
   * A special token.
   *
   * @param token its text, e.g. {@code [MASK]}
   * @param id its vocabulary id
   */
  public record SpecialToken(String token, int id) {}

  /** Whether the model's encoder is RoBERTa's (byte-level BPE, padding-offset positions). */
  public boolean isRoberta() {
    return ARCH_ROBERTA_MLM.equals(architecture) || ARCH_ROBERTA_CLS.equals(architecture);
  }

  /** Whether this is a BERT-family encoder (masked LM or classifier). */
  public boolean isEncoder() {
    return isRoberta() || ARCH_BERT_MLM.equals(architecture) || ARCH_BERT_CLS.equals(architecture);
  }

  /** The id of special token {@code role} (cls, sep, mask, pad, unk). */
  public int specialId(String role) {
    SpecialToken t = specialTokens == null ? null : specialTokens.get(role);
    if (t == null) {
      throw new IllegalStateException("model " + name + " declares no '" + role
          + "' special token in its manifest");
    }
    return t.id();
  }

  /** The file name for {@code role}, or an exception naming the manifest's gap. */
  public String file(String role) {
    String f = files == null ? null : files.get(role);
    if (f == null) {
      throw new IllegalStateException("model " + name + " manifest lists no '" + role + "' file");
    }
    return f;
  }

  /** The graph output name for {@code role}. */
  public String output(String role) {
    String o = outputs == null ? null : outputs.get(role);
    if (o == null) {
      throw new IllegalStateException("model " + name + " manifest lists no '" + role
          + "' output");
    }
    return o;
  }

  /** JSON text. */
  public String toJson() {
    return GSON.toJson(this);
  }

  /** Writes {@code manifest.json} into {@code dir}. */
  public void write(Path dir) throws IOException {
    Files.writeString(dir.resolve(FILE_NAME), toJson() + "\n", StandardCharsets.UTF_8);
  }

  /**
   * Reads {@code dir/manifest.json}.
   *
   * @throws IOException when it is missing, unreadable or lacks required fields
   */
  public static ModelManifest read(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw new IOException("no " + FILE_NAME + " in model directory " + dir);
    }
    ModelManifest m;
    try {
      m = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), ModelManifest.class);
    } catch (JsonParseException e) {
      throw new IOException("malformed " + file + ": " + e.getMessage(), e);
    }
    if (m == null || m.name() == null || m.architecture() == null || m.files() == null) {
      throw new IOException(file + " lacks name, architecture or files");
    }
    if (m.formatVersion() > FORMAT_VERSION) {
      throw new IOException(file + " has format_version " + m.formatVersion()
          + "; this build reads up to " + FORMAT_VERSION);
    }
    return m;
  }
}
