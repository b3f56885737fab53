package dev.pin.reward.ort;

import dev.pin.models.onnx.Precision;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.ort.SequenceEncoder;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.reward.backend.ClipModel;
import dev.pin.reward.backend.ModelCatalog;
import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.backend.TextGenerator;
import dev.pin.reward.backend.TokenEmbedder;
import dev.pin.v1.ModelRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The reward service's models, from the model store through ONNX Runtime: one session per (model,
 * precision), shared by every task that names it. Masked LMs (bert-mlm, roberta-mlm) serve
 * classification; causal LMs (gpt2-clm, opt-clm) serve causal classification and are
 * style-transfer generators; sequence classifiers (bert-cls, roberta-cls) serve as style and
 * fluency classifiers and every BERT-family encoder as BERTScore's content model (§6.2); CLIP
 * models (clip) serve image inversion and the EmbedText/EmbedImage RPCs. A masked task LM runs
 * the graph {@link TaskModelPrecision} picks (int8 on CPUs with VNNI by default, where the model
 * has the accurate int8 variant); every other model runs fp32. Roles whose
 * architecture the model store does not hold resolve to empty and registration answers
 * FAILED_PRECONDITION naming the model.
 */
public final class OrtModelCatalog implements ModelCatalog, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(OrtModelCatalog.class.getName());
  private final ModelStore store;
  private final OrtConfig ort;
  private final OrtSessions sessions = new OrtSessions();
  private final Map<ModelRef, TaskLanguageModel> languageModels = new ConcurrentHashMap<>();
  private final Map<String, OrtClipModel> clips = new ConcurrentHashMap<>();

  private final TaskModelPrecision precision;

  /** A catalog whose task models follow {@link TaskModelPrecision#auto()}. */
  public OrtModelCatalog(ModelStore store, OrtConfig ort) {
    this(store, ort, TaskModelPrecision.auto());
  }

  /** A catalog whose masked task models' graphs are chosen by {@code precision}. */
  public OrtModelCatalog(ModelStore store, OrtConfig ort, TaskModelPrecision precision) {
    this.store = store;
    this.ort = ort;
    this.precision = precision;
  }

  /** Whether a task LM named {@code name} is loaded, in any precision (for tests). */
  public boolean isLoaded(String name) {
    return languageModels.keySet().stream().anyMatch(r -> r.getName().equals(name))
        || clips.containsKey(name);
  }

  @Override
  public Optional<TaskLanguageModel> languageModel(ModelRef ref) {
    Optional<ModelDir> dir = store.find(ref.getName());
    if (dir.isPresent() && CausalLm.isCausal(dir.get().manifest().architecture())) {
      return Optional.of(causalTaskModel(ref, dir.get()));
    }
    if (dir.isEmpty() || !isMaskedLm(dir.get().manifest())) {
      return Optional.empty();
    }
    return Optional.of(languageModels.computeIfAbsent(ref, r -> {
      TaskModelPrecision.Choice choice = precision.choose(r.getName(), dir.get().manifest(),
          r.getPrecision());
      LOG.info("task model " + choice.identity());
      try {
        return new OrtMaskedTaskModel(r.getName(), choice.identity(),
            choice.precision() == Precision.INT8 ? "int8" : "",
            MaskedLm.open(dir.get(), ort.withPrecision(choice.precision()), sessions));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load " + r.getName() + ": " + e.getMessage(), e);
      }
    }));
  }

  private static boolean isMaskedLm(ModelManifest m) {
    return ModelManifest.ARCH_BERT_MLM.equals(m.architecture())
        || ModelManifest.ARCH_ROBERTA_MLM.equals(m.architecture());
  }

  // ---- causal LMs (gpt2-clm, opt-clm): the style-transfer generator, §6.2 ----

  /** Rows one generator decodes together (N samples × inputs are split into chunks of this). */
  private static final int GENERATOR_MAX_ROWS = 64;

  private final Map<String, OrtTextGenerator> generators = new ConcurrentHashMap<>();
  private final Map<String, CausalTaskTokenizer> causalTokenizers = new ConcurrentHashMap<>();

  @Override
  public Optional<TextGenerator> generator(ModelRef ref) {
    Optional<ModelDir> dir = store.find(ref.getName());
    if (dir.isEmpty() || !CausalLm.isCausal(dir.get().manifest().architecture())) {
      return Optional.empty();
    }
    return Optional.of(generators.computeIfAbsent(ref.getName(), n -> {
      try {
        CausalLm lm = CausalLm.open(dir.get(), ort, sessions);
        return new OrtTextGenerator(n, lm, causalTokenizer(dir.get(), lm), GENERATOR_MAX_ROWS);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load " + n + ": " + e.getMessage(), e);
      }
    }));
  }

  // ---- CLIP (§6.3) ----

  /**
   * A {@code clip} model of the store, loaded once per name and shared by every task and the
   * EmbedText/EmbedImage RPCs (CLIP runs in float32; a requested precision is ignored).
   */
  @Override
  public Optional<ClipModel> clip(ModelRef ref) {
    Optional<ModelDir> dir = store.find(ref.getName());
    if (dir.isEmpty() || !ModelManifest.ARCH_CLIP.equals(dir.get().manifest().architecture())) {
      return Optional.empty();
    }
    return Optional.of(clips.computeIfAbsent(ref.getName(), n -> {
      try {
        return new OrtClipModel(n, ClipEncoder.open(dir.get(), ort, sessions));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load " + n + ": " + e.getMessage(), e);
      }
    }));
  }

  /**
   * A causal task LM for classification (§6.1, causal variant). Causal graphs have one precision
   * (fp32): the int8 variant is a BERT-only import option.
   */
  private TaskLanguageModel causalTaskModel(ModelRef ref, ModelDir dir) {
    return languageModels.computeIfAbsent(ref, r -> {
      try {
        CausalLm lm = CausalLm.open(dir, ort, sessions);
        return new OrtCausalTaskModel(r.getName(), lm, causalTokenizer(dir, lm));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load " + r.getName() + ": " + e.getMessage(), e);
      }
    });
  }

  /** One tokenizer per causal model, shared by its generator and task LM. */
  private CausalTaskTokenizer causalTokenizer(ModelDir dir, CausalLm lm) {
    return causalTokenizers.computeIfAbsent(dir.name(), n -> {
      try {
        return new CausalTaskTokenizer(dir, lm.prependsBos() ? lm.manifest().specialId("bos")
            : -1);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the tokenizer of " + n + ": "
            + e.getMessage(), e);
      }
    });
  }

  @Override
  public boolean contains(ModelRef ref) {
    return store.find(ref.getName()).isPresent();
  }

  /** Loads a model before the service turns SERVING (reward.preload-models). */
  public void preload(String name) {
    ModelRef ref = ModelRef.newBuilder().setName(name).build();
    if (languageModel(ref).isEmpty() && clip(ref).isEmpty()) {
      throw new IllegalStateException("reward.preload-models names '" + name + "', which is not a "
          + "masked LM or CLIP model in the model store at " + store.home()
          + " (see `pin models list`)");
    }
  }

  // ---- Encoders for style transfer (§6.2): sequence classifiers and BERTScore embedders ----

  /**
   * Sequences per encoder forward of a classifier or embedder: the default reward.max-batch-size,
   * large enough to amortise a call and small enough that BERT-base activations of a batch of
   * short sentences stay in the tens of MB.
   */
  static final int ENCODER_BATCH = 64;

  private final Map<String, SequenceClassifier> classifiers = new ConcurrentHashMap<>();
  private final Map<String, TokenEmbedder> embedders = new ConcurrentHashMap<>();

  /** A {@code bert-cls} / {@code roberta-cls} model of the store; empty for other models. */
  @Override
  public Optional<SequenceClassifier> classifier(ModelRef ref) {
    Optional<ModelDir> dir = store.find(ref.getName());
    if (dir.isEmpty() || !isClassifier(dir.get().manifest())) {
      return Optional.empty();
    }
    return Optional.of(classifiers.computeIfAbsent(ref.getName(), n -> {
      try {
        return new OrtSequenceClassifier(n,
            SequenceEncoder.classifier(dir.get(), ort.withPrecision(Precision.FP32), sessions),
            ENCODER_BATCH);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load " + n + ": " + e.getMessage(), e);
      }
    }));
  }

  /**
   * Any BERT-family model of the store (masked LM or classifier) as a BERTScore encoder; its
   * layer graphs are built on first use.
   */
  @Override
  public Optional<TokenEmbedder> embedder(ModelRef ref) {
    Optional<ModelDir> dir = store.find(ref.getName());
    if (dir.isEmpty() || !dir.get().manifest().isEncoder()) {
      return Optional.empty();
    }
    return Optional.of(embedders.computeIfAbsent(ref.getName(), n -> new OrtTokenEmbedder(n,
        dir.get(), ort.withPrecision(Precision.FP32), sessions, ENCODER_BATCH)));
  }

  private static boolean isClassifier(ModelManifest m) {
    return ModelManifest.ARCH_BERT_CLS.equals(m.architecture())
        || ModelManifest.ARCH_ROBERTA_CLS.equals(m.architecture());
  }

  @Override
  public void close() {
    generators.clear();
    causalTokenizers.values().forEach(CausalTaskTokenizer::close);
    causalTokenizers.clear();
    languageModels.clear();
    classifiers.clear();
    embedders.clear();
    clips.values().forEach(OrtClipModel::close);
    clips.clear();
    sessions.close();
  }
}
