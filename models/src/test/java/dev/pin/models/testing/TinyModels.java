package dev.pin.models.testing;

import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.BertNames;
import dev.pin.models.onnx.ClipConfig;
import dev.pin.models.onnx.EncoderSpec;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.Gpt2Config;
import dev.pin.models.onnx.OptConfig;
import dev.pin.models.onnx.SequenceClassifierGraph;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.tokenizer.ByteLevelBpe;
import dev.pin.models.tokenizer.ClipTokenizer;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.ClipModelWriter;
import dev.pin.models.writer.EncoderModelWriter;
import dev.pin.models.writer.Gpt2ModelWriter;
import dev.pin.models.writer.OptModelWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tiny random-weight models with the real architectures, built by the same graph code as the
 * imported ones, so tests everywhere exercise the production path in milliseconds
 * (ARCHITECTURE.md "Models": "tiny random-weight models of the same architectures").
 */
public final class TinyModels {
  /** Hidden 32, 2 layers, 2 heads, feed-forward 64, 64 positions; vocabulary of {@link #vocab}. */
  public static final BertConfig BERT_CONFIG =
      new BertConfig(vocab().size(), 32, 2, 2, 64, 64, 2, 1e-12f);

  private TinyModels() {}

  /**
   * The tiny WordPiece vocabulary: BERT's special tokens (ids 0-4: [PAD], [UNK], [CLS], [SEP],
   * [MASK]), punctuation, a few hundred common English words, and single letters with their
   * {@code ##} continuations so every lower-case ASCII word tokenizes without [UNK].
   */
  public static List<String> vocab() {
    List<String> v = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    for (char c : ".,!?'\"-:;()".toCharArray()) {
      v.add(String.valueOf(c));
    }
    for (String w : ("the a an of to in is was it and or but not no yes this that what great good"
        + " bad terrible movie film story acting plot love hate fun boring best worst very really"
        + " capital france paris london city store milk buy went i you he she we they my your"
        + " positive negative sentiment review happy sad nice awful amazing fine ok so just")
        .split(" ")) {
      v.add(w);
    }
    for (char c = 'a'; c <= 'z'; c++) {
      if (!v.contains(String.valueOf(c))) {
        v.add(String.valueOf(c));
      }
      v.add("##" + c);
    }
    for (char c = '0'; c <= '9'; c++) {
      v.add(String.valueOf(c));
      v.add("##" + c);
    }
    return v;
  }

  /**
   * Random BERT weights for {@link #BERT_CONFIG}; scales are larger than BERT's initialiser so
   * outputs depend visibly on the input (useful in numerical tests).
   */
  public static Map<String, FloatTensor> bertWeights(long seed) {
    return encoderWeights(BERT_CONFIG, seed);
  }

  /** Random encoder + MLM-head weights under {@link BertNames} for any tiny config. */
  public static Map<String, FloatTensor> encoderWeights(BertConfig c, long seed) {
    Random r = new Random(seed);
    Map<String, FloatTensor> w = new HashMap<>();
    int h = c.hiddenSize();
    w.put(BertNames.WORD_EMBEDDINGS, gauss(r, 0.5f, 0, c.vocabSize(), h));
    w.put(BertNames.POSITION_EMBEDDINGS, gauss(r, 0.2f, 0, c.maxPositions(), h));
    w.put(BertNames.TOKEN_TYPE_EMBEDDINGS, gauss(r, 0.2f, 0, c.typeVocabSize(), h));
    layerNorm(w, r, BertNames.EMBEDDINGS_LN, h);
    for (int i = 0; i < c.numLayers(); i++) {
      String p = BertNames.layer(i);
      for (String d : List.of("/attention/self/query", "/attention/self/key",
          "/attention/self/value", "/attention/output/dense")) {
        dense(w, r, p + d, h, h);
      }
      layerNorm(w, r, p + "/attention/output/LayerNorm", h);
      dense(w, r, p + "/intermediate/dense", h, c.intermediateSize());
      dense(w, r, p + "/output/dense", c.intermediateSize(), h);
      layerNorm(w, r, p + "/output/LayerNorm", h);
    }
    dense(w, r, BertNames.HEAD_DENSE, h, h);
    layerNorm(w, r, BertNames.HEAD_LN, h);
    w.put(BertNames.OUTPUT_BIAS, gauss(r, 0.1f, 0, c.vocabSize()));
    return w;
  }

  /**
   * Writes a tiny random BERT masked LM (architecture {@code bert-mlm}, uncased) into {@code dir};
   * its store name is the directory's name.
   */
  public static ModelDir bertMlm(Path dir, long seed) throws IOException {
    Map<String, FloatTensor> w = bertWeights(seed);
    return BertModelWriter.write(dir, dir.getFileName().toString(), BERT_CONFIG, name -> {
      FloatTensor t = w.get(name);
      if (t == null) {
        throw new IllegalArgumentException("no tiny weight " + name);
      }
      return t;
    }, vocab(), true, Map.of("kind", "tiny-random", "seed", Long.toString(seed)));
  }

  /** Hidden 32, 2 layers, 2 heads, 64 positions over the 256 bytes + {@code <|endoftext|>}. */
  public static final Gpt2Config GPT2_CONFIG = new Gpt2Config(257, 32, 2, 2, 64, 1e-5f);

  /**
   * Random GPT-2 weights for {@link #GPT2_CONFIG} under HF names without the {@code transformer.}
   * prefix ({@code Conv1D} kernels as {@code [in, out]}).
   */
  public static Map<String, FloatTensor> gpt2Weights(long seed) {
    Gpt2Config c = GPT2_CONFIG;
    Random r = new Random(seed);
    Map<String, FloatTensor> w = new HashMap<>();
    int h = c.hiddenSize();
    w.put("wte.weight", gauss(r, 0.5f, 0, c.vocabSize(), h));
    w.put("wpe.weight", gauss(r, 0.2f, 0, c.maxPositions(), h));
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "h." + i;
      gpt2LayerNorm(w, r, p + ".ln_1", h);
      gpt2Dense(w, r, p + ".attn.c_attn", h, 3 * h);
      gpt2Dense(w, r, p + ".attn.c_proj", h, h);
      gpt2LayerNorm(w, r, p + ".ln_2", h);
      gpt2Dense(w, r, p + ".mlp.c_fc", h, 4 * h);
      gpt2Dense(w, r, p + ".mlp.c_proj", 4 * h, h);
    }
    gpt2LayerNorm(w, r, "ln_f", h);
    return w;
  }

  /**
   * Writes a tiny random GPT-2 causal LM (architecture {@code gpt2-clm}) with a byte-level
   * tokenizer ({@code <|endoftext|>} = 256) into {@code dir}; its store name is the directory's.
   */
  public static ModelDir gpt2Clm(Path dir, long seed) throws IOException {
    Map<String, FloatTensor> w = gpt2Weights(seed);
    java.nio.file.Files.createDirectories(dir);
    ByteLevelBpe.writeByteTokenizerJson(dir.resolve(BertModelWriter.TOKENIZER_FILE));
    return Gpt2ModelWriter.write(dir, dir.getFileName().toString(), GPT2_CONFIG, name -> {
      FloatTensor t = w.get(name);
      if (t == null) {
        throw new IllegalArgumentException("no tiny weight " + name);
      }
      return t;
    }, 256, Map.of("kind", "tiny-random", "seed", Long.toString(seed)));
  }

  /**
   * Pre-LN OPT (opt-125m's layout): hidden 32, 2 layers, 2 heads, feed-forward 64, 64 positions,
   * over OPT's 4 special tokens (ids 0-3: {@code <s> <pad> </s> <unk>}) and the 256 bytes (4-259).
   */
  public static final OptConfig OPT_CONFIG =
      new OptConfig(260, 32, 2, 2, 64, 64, 32, true, true, 1e-5f);

  /**
   * Post-LN OPT with embedding projection (opt-350m's layout): decoder width 32, embeddings and
   * LM head 16 ({@code project_in} / {@code project_out}), no final layer norm.
   */
  public static final OptConfig OPT_350M_STYLE_CONFIG =
      new OptConfig(260, 32, 2, 4, 64, 64, 16, false, false, 1e-5f);

  /**
   * Random OPT weights for {@code c} under HF names without the {@code model.decoder.} prefix
   * ({@code nn.Linear} weights as {@code [out, in]}).
   */
  public static Map<String, FloatTensor> optWeights(OptConfig c, long seed) {
    Random r = new Random(seed);
    Map<String, FloatTensor> w = new HashMap<>();
    int h = c.hiddenSize();
    int e = c.wordEmbedProjDim();
    w.put("embed_tokens.weight", gauss(r, 0.5f, 0, c.vocabSize(), e));
    w.put("embed_positions.weight", gauss(r, 0.2f, 0,
        c.maxPositions() + OptConfig.POSITION_OFFSET, h));
    if (c.projects()) {
      w.put("project_in.weight", gauss(r, (float) (1 / Math.sqrt(e)), 0, h, e));
      w.put("project_out.weight", gauss(r, (float) (1 / Math.sqrt(h)), 0, e, h));
    }
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "layers." + i;
      for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
        linear(w, r, p + ".self_attn." + proj, h, h);
      }
      gpt2LayerNorm(w, r, p + ".self_attn_layer_norm", h);
      linear(w, r, p + ".fc1", h, c.ffnDim());
      linear(w, r, p + ".fc2", c.ffnDim(), h);
      gpt2LayerNorm(w, r, p + ".final_layer_norm", h);
    }
    if (c.finalLayerNorm()) {
      gpt2LayerNorm(w, r, "final_layer_norm", h);
    }
    return w;
  }

  /**
   * Writes a tiny random OPT causal LM (architecture {@code opt-clm}) of layout {@code config}
   * with a byte-level tokenizer ({@code </s>} = 2, {@code <pad>} = 1) into {@code dir}.
   */
  public static ModelDir optClm(Path dir, long seed, OptConfig config) throws IOException {
    Map<String, FloatTensor> w = optWeights(config, seed);
    java.nio.file.Files.createDirectories(dir);
    ByteLevelBpe.writeByteTokenizerJson(dir.resolve(BertModelWriter.TOKENIZER_FILE),
        ByteLevelBpe.OPT_SPECIALS);
    return OptModelWriter.write(dir, dir.getFileName().toString(), config, name -> {
      FloatTensor t = w.get(name);
      if (t == null) {
        throw new IllegalArgumentException("no tiny weight " + name);
      }
      return t;
    }, 2, 1, Map.of("kind", "tiny-random", "seed", Long.toString(seed)));
  }

  // ---- CLIP (ALGORITHMS.md §6.3) ----

  /**
   * BPE merges of the tiny CLIP tokenizer, in rank order: enough to make {@code a}, {@code photo},
   * {@code of}, {@code red}, {@code green}, {@code cat} and {@code dog} single tokens and leave
   * everything else to bytes.
   */
  public static final List<String> CLIP_MERGES = List.of("g r", "e e", "gr ee", "gree n</w>",
      "r e", "re d</w>", "c a", "ca t</w>", "p h", "o t", "ph ot", "phot o</w>", "o f</w>",
      "d o", "do g</w>");

  /**
   * Text: hidden 32, MLP 64, 2 layers, 2 heads, CLIP's 77 positions, quick_gelu, pooled at the
   * first {@code <|endoftext|>}; vision: 16×16 images in 4×4 patches, hidden 32, MLP 64, 2 layers,
   * 2 heads, exact gelu (so both activations are exercised); projections of 16.
   */
  public static final ClipConfig CLIP_CONFIG = new ClipConfig(
      new ClipConfig.Text(ClipTokenizer.vocab(CLIP_MERGES).size(), 32, 64, 2, 2,
          ClipTokenizer.CONTEXT_LENGTH, ClipConfig.QUICK_GELU, 1e-5f,
          ClipTokenizer.vocab(CLIP_MERGES).get(ClipTokenizer.END_OF_TEXT)),
      new ClipConfig.Vision(32, 64, 2, 2, 16, 4, 3, ClipConfig.GELU, 1e-5f),
      16);

  /** The tiny CLIP's preprocessing: OpenAI's mean and std, bicubic, at 16 pixels. */
  public static final ModelManifest.ImagePreprocessing CLIP_PREPROCESSING =
      new ModelManifest.ImagePreprocessing(16, 16, 16, 3, 1 / 255f,
          new float[] {0.48145466f, 0.4578275f, 0.40821073f},
          new float[] {0.26862954f, 0.26130258f, 0.27577711f});

  /** Random CLIP weights for {@code config} under HF {@code CLIPModel} names. */
  public static Map<String, FloatTensor> clipWeights(ClipConfig config, long seed) {
    Random r = new Random(seed);
    Map<String, FloatTensor> w = new HashMap<>();
    ClipConfig.Text t = config.text();
    w.put("text_model.embeddings.token_embedding.weight",
        gauss(r, 0.5f, 0, t.vocabSize(), t.hiddenSize()));
    w.put("text_model.embeddings.position_embedding.weight",
        gauss(r, 0.2f, 0, t.maxPositions(), t.hiddenSize()));
    for (int i = 0; i < t.numLayers(); i++) {
      clipLayer(w, r, "text_model.encoder.layers." + i, t.hiddenSize(), t.intermediateSize());
    }
    gpt2LayerNorm(w, r, "text_model.final_layer_norm", t.hiddenSize());
    w.put("text_projection.weight", gauss(r, (float) (1 / Math.sqrt(t.hiddenSize())), 0,
        config.projectionDim(), t.hiddenSize()));
    ClipConfig.Vision v = config.vision();
    int h = v.hiddenSize();
    w.put("vision_model.embeddings.class_embedding", gauss(r, 0.5f, 0, h));
    w.put("vision_model.embeddings.patch_embedding.weight", gauss(r,
        (float) (1 / Math.sqrt(v.numChannels() * v.patchSize() * v.patchSize())), 0, h,
        v.numChannels(), v.patchSize(), v.patchSize()));
    w.put("vision_model.embeddings.position_embedding.weight",
        gauss(r, 0.2f, 0, v.numPositions(), h));
    gpt2LayerNorm(w, r, "vision_model.pre_layrnorm", h);
    for (int i = 0; i < v.numLayers(); i++) {
      clipLayer(w, r, "vision_model.encoder.layers." + i, h, v.intermediateSize());
    }
    gpt2LayerNorm(w, r, "vision_model.post_layernorm", h);
    w.put("visual_projection.weight", gauss(r, (float) (1 / Math.sqrt(h)), 0,
        config.projectionDim(), h));
    return w;
  }

  /**
   * Writes a tiny random CLIP (architecture {@code clip}: {@link #CLIP_CONFIG}, the
   * {@link #CLIP_MERGES} tokenizer, {@link #CLIP_PREPROCESSING}) into {@code dir}; its store
   * name is the directory's.
   */
  public static ModelDir clip(Path dir, long seed) throws IOException {
    Map<String, FloatTensor> w = clipWeights(CLIP_CONFIG, seed);
    java.nio.file.Files.createDirectories(dir);
    ClipTokenizer.writeTokenizerJson(dir.resolve(BertModelWriter.TOKENIZER_FILE), CLIP_MERGES);
    Map<String, Integer> vocab = ClipTokenizer.vocab(CLIP_MERGES);
    return ClipModelWriter.write(dir, dir.getFileName().toString(), CLIP_CONFIG, name -> {
      FloatTensor t = w.get(name);
      if (t == null) {
        throw new IllegalArgumentException("no tiny weight " + name);
      }
      return t;
    }, vocab.get(ClipTokenizer.START_OF_TEXT), vocab.get(ClipTokenizer.END_OF_TEXT),
        CLIP_PREPROCESSING, Map.of("kind", "tiny-random", "seed", Long.toString(seed)));
  }

  /** One {@code CLIPEncoderLayer}'s weights; HF Linear weights are {@code [out, in]}. */
  private static void clipLayer(Map<String, FloatTensor> w, Random r, String p, int h,
      int inter) {
    gpt2LayerNorm(w, r, p + ".layer_norm1", h);
    for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
      linear(w, r, p + ".self_attn." + proj, h, h);
    }
    gpt2LayerNorm(w, r, p + ".layer_norm2", h);
    linear(w, r, p + ".mlp.fc1", h, inter);
    linear(w, r, p + ".mlp.fc2", inter, h);
  }

  /** An {@code nn.Linear}: weight {@code [out, in]}, bias {@code [out]}. */
  private static void linear(Map<String, FloatTensor> w, Random r, String scope, int in,
      int out) {
    w.put(scope + ".weight", gauss(r, (float) (1 / Math.sqrt(in)), 0, out, in));
    w.put(scope + ".bias", gauss(r, 0.1f, 0, out));
  }

  // ---- RoBERTa and sequence classifiers (encoders) ----

  /** RoBERTa's padding_idx (its {@code <pad>} id), where position ids start counting. */
  public static final int ROBERTA_PADDING_IDX = 1;

  /** Words of the tiny RoBERTa that are single tokens after a space ({@code Ġgreat}). */
  private static final String ROBERTA_WORDS = "the a an of to in is was it and or but not no"
      + " this that what great good bad terrible movie film story acting plot love hate fun"
      + " boring best worst very really capital france paris city store milk buy went i you he"
      + " she we they my positive negative happy sad nice awful amazing fine ok so just . , ! ?";

  /**
   * The tiny RoBERTa vocabulary by id: {@code <s> <pad> </s> <unk>} (0-3, as in RoBERTa), the
   * 256 byte symbols, every prefix {@code Ġw…} of the words above, and {@code <mask>} last.
   */
  public static List<String> robertaVocab() {
    java.util.LinkedHashSet<String> v = new java.util.LinkedHashSet<>(
        List.of("<s>", "<pad>", "</s>", "<unk>"));
    v.addAll(ByteLevelBpe.byteSymbols());
    String space = ByteLevelBpe.byteSymbols().get(' ');
    for (String word : ROBERTA_WORDS.split(" ")) {
      for (int n = 1; n <= word.length(); n++) {
        v.add(space + word.substring(0, n));
      }
    }
    v.add("<mask>");
    return List.copyOf(v);
  }

  /** Hidden 32, 2 layers, 2 heads, feed-forward 64, 64 + 2 positions, 1 token type, eps 1e-5. */
  public static final BertConfig ROBERTA_CONFIG =
      new BertConfig(robertaVocab().size(), 32, 2, 2, 64, 64 + ROBERTA_PADDING_IDX + 1, 1, 1e-5f);

  /**
   * Writes the tiny RoBERTa's byte-level BPE {@code tokenizer.json}: the vocabulary above, one
   * merge per prefix step ({@code "Ġgr e"} → {@code Ġgre}; every merge's left side starts with
   * {@code Ġ}, so a word's merges apply in one chain), RoBERTa's added tokens ({@code <mask>} with
   * lstrip, so {@code "x <mask>"} keeps the space out of the mask) and its post-processor.
   */
  public static void writeRobertaTokenizerJson(Path file) throws IOException {
    List<String> vocab = robertaVocab();
    com.google.gson.JsonObject root = new com.google.gson.JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", null);
    root.add("padding", null);
    com.google.gson.JsonArray added = new com.google.gson.JsonArray();
    for (String t : List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>")) {
      com.google.gson.JsonObject o = new com.google.gson.JsonObject();
      o.addProperty("id", vocab.indexOf(t));
      o.addProperty("content", t);
      o.addProperty("single_word", false);
      o.addProperty("lstrip", t.equals("<mask>"));
      o.addProperty("rstrip", false);
      o.addProperty("normalized", !t.equals("<mask>"));
      o.addProperty("special", true);
      added.add(o);
    }
    root.add("added_tokens", added);
    root.add("normalizer", null);
    com.google.gson.JsonObject byteLevel = new com.google.gson.JsonObject();
    byteLevel.addProperty("type", "ByteLevel");
    byteLevel.addProperty("add_prefix_space", false);
    byteLevel.addProperty("trim_offsets", true);
    byteLevel.addProperty("use_regex", true);
    root.add("pre_tokenizer", byteLevel);
    com.google.gson.JsonObject post = new com.google.gson.JsonObject();
    post.addProperty("type", "RobertaProcessing");
    com.google.gson.JsonArray sep = new com.google.gson.JsonArray();
    sep.add("</s>");
    sep.add(vocab.indexOf("</s>"));
    com.google.gson.JsonArray cls = new com.google.gson.JsonArray();
    cls.add("<s>");
    cls.add(vocab.indexOf("<s>"));
    post.add("sep", sep);
    post.add("cls", cls);
    post.addProperty("trim_offsets", true);
    post.addProperty("add_prefix_space", false);
    root.add("post_processor", post);
    root.add("decoder", byteLevel);
    com.google.gson.JsonObject model = new com.google.gson.JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", null);
    model.add("unk_token", null);
    model.addProperty("continuing_subword_prefix", "");
    model.addProperty("end_of_word_suffix", "");
    model.addProperty("fuse_unk", false);
    model.addProperty("byte_fallback", false);
    com.google.gson.JsonObject v = new com.google.gson.JsonObject();
    com.google.gson.JsonArray merges = new com.google.gson.JsonArray();
    for (int id = 0; id < vocab.size(); id++) {
      String t = vocab.get(id);
      v.addProperty(t, id);
      String space = ByteLevelBpe.byteSymbols().get(' ');
      if (t.startsWith(space) && t.length() > 1) {
        merges.add(t.substring(0, t.length() - 1) + " " + t.substring(t.length() - 1));
      }
    }
    model.add("vocab", v);
    model.add("merges", merges);
    root.add("model", model);
    java.nio.file.Files.writeString(file, new com.google.gson.GsonBuilder().serializeNulls()
        .disableHtmlEscaping().create().toJson(root), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Random RoBERTa encoder + LM-head weights for {@link #ROBERTA_CONFIG}, under BertNames. */
  public static Map<String, FloatTensor> robertaWeights(long seed) {
    return encoderWeights(ROBERTA_CONFIG, seed);
  }

  /** The spec of the tiny RoBERTa (its padding-offset positions). */
  public static EncoderSpec robertaSpec() {
    return new EncoderSpec(ROBERTA_CONFIG, ROBERTA_PADDING_IDX);
  }

  /** Writes a tiny random RoBERTa masked LM ({@code roberta-mlm}) into {@code dir}. */
  public static ModelDir robertaMlm(Path dir, long seed) throws IOException {
    java.nio.file.Files.createDirectories(dir);
    Path tj = dir.resolve(BertModelWriter.TOKENIZER_FILE);
    writeRobertaTokenizerJson(tj);
    return EncoderModelWriter.writeRobertaMlm(dir, dir.getFileName().toString(), robertaSpec(),
        lookup(robertaWeights(seed)), tj, Map.of("kind", "tiny-random", "seed",
            Long.toString(seed)));
  }

  /**
   * Random classifier-head weights: BERT's pooler + classifier, or RoBERTa's dense + out_proj
   * ({@link SequenceClassifierGraph} names), from a generator of its own so the encoder weights
   * stay those of {@link #encoderWeights}.
   */
  public static Map<String, FloatTensor> classifierHeadWeights(SequenceClassifierGraph.Head head,
      int hidden, int labels, long seed) {
    Random r = new Random(seed ^ 0x5eed_c1a55L);
    Map<String, FloatTensor> w = new HashMap<>();
    switch (head) {
      case BERT_POOLER -> {
        dense(w, r, SequenceClassifierGraph.POOLER, hidden, hidden);
        dense(w, r, SequenceClassifierGraph.CLASSIFIER, hidden, labels);
      }
      case ROBERTA -> {
        dense(w, r, SequenceClassifierGraph.ROBERTA_DENSE, hidden, hidden);
        dense(w, r, SequenceClassifierGraph.ROBERTA_OUT_PROJ, hidden, labels);
      }
      case MEAN_POOL_LINEAR -> dense(w, r, SequenceClassifierGraph.CLASSIFIER, hidden, labels);
      default -> throw new IllegalArgumentException(head.toString());
    }
    return w;
  }

  /** All weights of a tiny classifier: encoder (config's) + head. */
  public static Map<String, FloatTensor> classifierWeights(boolean roberta,
      SequenceClassifierGraph.Head head, int labels, long seed) {
    BertConfig c = roberta ? ROBERTA_CONFIG : BERT_CONFIG;
    Map<String, FloatTensor> w = new HashMap<>(encoderWeights(c, seed));
    w.putAll(classifierHeadWeights(head, c.hiddenSize(), labels, seed));
    return w;
  }

  /**
   * Writes a tiny random sequence classifier into {@code dir}: BERT with its pooler head
   * ({@code bert-cls}) or RoBERTa with its classification head ({@code roberta-cls}).
   */
  public static ModelDir sequenceClassifier(Path dir, boolean roberta, List<String> labels,
      long seed) throws IOException {
    java.nio.file.Files.createDirectories(dir);
    SequenceClassifierGraph.Head head = roberta ? SequenceClassifierGraph.Head.ROBERTA
        : SequenceClassifierGraph.Head.BERT_POOLER;
    Map<String, FloatTensor> w = classifierWeights(roberta, head, labels.size(), seed);
    EncoderModelWriter.TokenizerFiles tok;
    if (roberta) {
      Path tj = dir.resolve(BertModelWriter.TOKENIZER_FILE);
      writeRobertaTokenizerJson(tj);
      tok = EncoderModelWriter.TokenizerFiles.byteLevel(tj);
    } else {
      tok = EncoderModelWriter.TokenizerFiles.wordPiece(vocab(), true);
    }
    return EncoderModelWriter.writeClassifier(dir, dir.getFileName().toString(),
        roberta ? robertaSpec() : new EncoderSpec(BERT_CONFIG, -1), lookup(w), head, labels, tok,
        Map.of("kind", "tiny-random", "seed", Long.toString(seed)));
  }

  private static dev.pin.models.onnx.Weights lookup(Map<String, FloatTensor> w) {
    return name -> {
      FloatTensor t = w.get(name);
      if (t == null) {
        throw new IllegalArgumentException("no tiny weight " + name);
      }
      return t;
    };
  }

  private static void gpt2Dense(Map<String, FloatTensor> w, Random r, String scope, int in,
      int out) {
    w.put(scope + ".weight", gauss(r, (float) (1 / Math.sqrt(in)), 0, in, out));
    w.put(scope + ".bias", gauss(r, 0.1f, 0, out));
  }

  private static void gpt2LayerNorm(Map<String, FloatTensor> w, Random r, String scope, int h) {
    w.put(scope + ".weight", gauss(r, 0.1f, 1, h));
    w.put(scope + ".bias", gauss(r, 0.1f, 0, h));
  }

  private static void dense(Map<String, FloatTensor> w, Random r, String scope, int in, int out) {
    w.put(BertNames.kernel(scope), gauss(r, (float) (1 / Math.sqrt(in)), 0, in, out));
    w.put(BertNames.bias(scope), gauss(r, 0.1f, 0, out));
  }

  private static void layerNorm(Map<String, FloatTensor> w, Random r, String scope, int h) {
    w.put(BertNames.gamma(scope), gauss(r, 0.1f, 1, h));
    w.put(BertNames.beta(scope), gauss(r, 0.1f, 0, h));
  }

  private static FloatTensor gauss(Random r, float std, float mean, int... shape) {
    int n = 1;
    long[] s = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      n *= shape[i];
      s[i] = shape[i];
    }
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = mean + std * (float) r.nextGaussian();
    }
    return FloatTensor.of(x, s);
  }
}
