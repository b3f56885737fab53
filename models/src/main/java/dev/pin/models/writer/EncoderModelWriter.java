package dev.pin.models.writer;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.EncoderSpec;
import dev.pin.models.onnx.Precision;
import dev.pin.models.onnx.SequenceClassifierGraph;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest.SpecialToken;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.tokenizer.ByteLevelBpeTokenizer;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the model directories of the BERT-family encoders other than BERT's masked LM
 * ({@link BertModelWriter}): RoBERTa's masked LM ({@code roberta-mlm}) and sequence classifiers
 * ({@code bert-cls}, {@code roberta-cls}). Each holds {@code model.onnx}, the tokenizer files,
 * {@code encoder.json} ({@link EncoderSpec}) and {@code manifest.json} (written last, so a
 * directory with a manifest is complete).
 */
public final class EncoderModelWriter {
  /** What a RoBERTa masked LM can serve here (§6.1 task LM, §6.2 BERTScore encoder). */
  public static final List<String> ROBERTA_MLM_ROLES = List.of("masked-lm",
      ModelManifest.ROLE_TOKEN_EMBEDDER);
  /** What a sequence classifier serves (§6.2 style and fluency classifiers). */
  public static final List<String> CLASSIFIER_ROLES = List.of(
      ModelManifest.ROLE_SEQUENCE_CLASSIFIER, ModelManifest.ROLE_TOKEN_EMBEDDER);

  /**
   * A model's tokenizer files: a WordPiece vocabulary (BERT) or a byte-level BPE
   * {@code tokenizer.json} (RoBERTa).
   *
   * @param wordPieceVocab WordPiece tokens by id, or null
   * @param lowerCase whether the WordPiece tokenizer lower-cases
   * @param byteLevelJson a byte-level BPE tokenizer.json, or null
   */
  public record TokenizerFiles(List<String> wordPieceVocab, boolean lowerCase,
      Path byteLevelJson) {
    /** BERT's WordPiece. */
    public static TokenizerFiles wordPiece(List<String> vocab, boolean lowerCase) {
      return new TokenizerFiles(vocab, lowerCase, null);
    }

    /** RoBERTa's byte-level BPE. */
    public static TokenizerFiles byteLevel(Path tokenizerJson) {
      return new TokenizerFiles(null, false, tokenizerJson);
    }
  }

  private EncoderModelWriter() {}

  /** Writes a {@code roberta-mlm} directory (see {@link BertMlmGraph#buildRoberta}). */
  public static ModelDir writeRobertaMlm(Path dir, String name, EncoderSpec spec, Weights weights,
      Path tokenizerJson, Map<String, String> source) throws IOException {
    Files.createDirectories(dir);
    Map<String, String> files = new LinkedHashMap<>();
    Map<String, SpecialToken> specials = writeTokenizer(dir, TokenizerFiles.byteLevel(
        tokenizerJson), spec.config().vocabSize(), files);
    ModelProto proto = BertMlmGraph.buildRoberta(spec.config(), weights,
        "RoBERTa masked LM '" + name + "'", Precision.FP32, spec.positionPaddingIdx());
    return finish(dir, name, ModelManifest.ARCH_ROBERTA_MLM, ROBERTA_MLM_ROLES, spec, proto,
        false, specials,
        List.of(BertMlmGraph.INPUT_IDS, BertMlmGraph.ATTENTION_MASK, BertMlmGraph.TOKEN_TYPE_IDS,
            BertMlmGraph.POSITIONS),
        Map.of("logits", BertMlmGraph.LOGITS, "last_hidden_state",
            BertMlmGraph.LAST_HIDDEN_STATE), files, source, null);
  }

  /**
   * Writes a sequence classifier ({@code bert-cls} when {@code spec} has absolute positions,
   * {@code roberta-cls} otherwise) with output {@code logits [batch, labels]}.
   *
   * @param labels class names in logit order (HF {@code id2label})
   */
  public static ModelDir writeClassifier(Path dir, String name, EncoderSpec spec, Weights weights,
      SequenceClassifierGraph.Head head, List<String> labels, TokenizerFiles tokenizer,
      Map<String, String> source) throws IOException {
    Files.createDirectories(dir);
    Map<String, String> files = new LinkedHashMap<>();
    Map<String, SpecialToken> specials = writeTokenizer(dir, tokenizer, spec.config().vocabSize(),
        files);
    ModelProto proto = SequenceClassifierGraph.build(spec.config(), weights, head, labels.size(),
        spec.positionPaddingIdx(), "sequence classifier '" + name + "' (" + head + ") over "
            + labels);
    Map<String, String> src = new LinkedHashMap<>(source);
    src.put("head", head.name());
    return finish(dir, name, spec.positionPaddingIdx() < 0 ? ModelManifest.ARCH_BERT_CLS
            : ModelManifest.ARCH_ROBERTA_CLS, CLASSIFIER_ROLES, spec, proto,
        tokenizer.lowerCase(), specials,
        List.of(BertMlmGraph.INPUT_IDS, BertMlmGraph.ATTENTION_MASK, BertMlmGraph.TOKEN_TYPE_IDS),
        Map.of("logits", SequenceClassifierGraph.LOGITS), files, src, List.copyOf(labels));
  }

  private static Map<String, SpecialToken> writeTokenizer(Path dir, TokenizerFiles t,
      int vocabSize, Map<String, String> files) throws IOException {
    Map<String, SpecialToken> specials = new LinkedHashMap<>();
    if (t.wordPieceVocab() != null) {
      List<String> vocab = t.wordPieceVocab();
      if (vocab.size() != vocabSize) {
        throw new IllegalArgumentException("vocabulary has " + vocab.size() + " tokens but the"
            + " embeddings have " + vocabSize + " rows");
      }
      for (String[] rt : new String[][] {{"cls", "[CLS]"}, {"sep", "[SEP]"}, {"mask", "[MASK]"},
          {"pad", "[PAD]"}, {"unk", "[UNK]"}}) {
        int id = vocab.indexOf(rt[1]);
        if (id < 0) {
          throw new IllegalArgumentException("vocabulary lacks " + rt[1]);
        }
        specials.put(rt[0], new SpecialToken(rt[1], id));
      }
      Files.write(dir.resolve(BertModelWriter.VOCAB_FILE), vocab, StandardCharsets.UTF_8);
      new WordPieceTokenizer(vocab, t.lowerCase(),
          specials.values().stream().map(SpecialToken::token).toList())
          .writeHuggingFaceJson(dir.resolve(BertModelWriter.TOKENIZER_FILE));
      files.put("vocab", BertModelWriter.VOCAB_FILE);
    } else {
      Map<String, Integer> vocab = ByteLevelBpeTokenizer.readVocab(t.byteLevelJson());
      // RoBERTa's special tokens; cls/sep frame single sentences as <s> x </s>.
      for (String[] rt : new String[][] {{"cls", "<s>"}, {"sep", "</s>"}, {"mask", "<mask>"},
          {"pad", "<pad>"}, {"unk", "<unk>"}}) {
        Integer id = vocab.get(rt[1]);
        if (id == null) {
          throw new IOException(t.byteLevelJson() + " lacks the special token " + rt[1]);
        }
        if (id >= vocabSize) {
          throw new IOException(rt[1] + " has id " + id + " outside the " + vocabSize
              + "-row embeddings");
        }
        specials.put(rt[0], new SpecialToken(rt[1], id));
      }
      Path target = dir.resolve(BertModelWriter.TOKENIZER_FILE);
      if (!target.toAbsolutePath().equals(t.byteLevelJson().toAbsolutePath())) {
        Files.copy(t.byteLevelJson(), target, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    files.put("tokenizer", BertModelWriter.TOKENIZER_FILE);
    return specials;
  }

  private static ModelDir finish(Path dir, String name, String architecture, List<String> roles,
      EncoderSpec spec, ModelProto proto, boolean lowerCase, Map<String, SpecialToken> specials,
      List<String> inputs, Map<String, String> outputs, Map<String, String> files,
      Map<String, String> source, List<String> labels) throws IOException {
    Path model = dir.resolve(BertModelWriter.MODEL_FILE);
    BertMlmGraph.write(proto, model);
    spec.write(dir);
    files.put("model", BertModelWriter.MODEL_FILE);
    files.put(EncoderSpec.FILE_ROLE, EncoderSpec.FILE);
    var c = spec.config();
    new ModelManifest(ModelManifest.FORMAT_VERSION, name, architecture, roles, c.hiddenSize(),
        c.vocabSize(), c.numLayers(), c.numHeads(), spec.maxInputTokens(), lowerCase, specials,
        inputs, outputs, files, ModelDir.sha256(model), source, labels).write(dir);
    return ModelDir.open(dir);
  }
}
