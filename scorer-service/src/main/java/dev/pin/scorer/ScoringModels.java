package dev.pin.scorer;

import dev.pin.models.onnx.Precision;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.scorer.naturalness.CausalLmNaturalness;
import dev.pin.scorer.naturalness.MaskedLmNaturalness;
import dev.pin.scorer.naturalness.NaturalnessScorer;
import dev.pin.scorer.naturalness.OrtCausalScoringLm;
import dev.pin.scorer.naturalness.OrtMaskedScoringLm;
import dev.pin.v1.ModelRef;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scorer's models, loaded once from the model store and shared by every call. Sessions come
 * from the process-wide {@link OrtSessions#shared()} registry, so in embedded mode the scorer and
 * the reward service hold one copy of BERT-base between them.
 */
final class ScoringModels implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScoringModels.class);

  private record Key(String name, Precision precision) {}

  private final ModelStore store;
  private final OrtConfig ortConfig;
  private final int maxBatchSequences;
  private final String defaultModel;
  private final Map<Key, NaturalnessScorer> loaded = new ConcurrentHashMap<>();
  /** Causal LMs' tokenizers hold native handles (DJL's HuggingFace tokenizers). */
  private final List<OrtCausalScoringLm> tokenizerOwners = new CopyOnWriteArrayList<>();

  ScoringModels(ScorerSettings settings) {
    this.store = new ModelStore(settings.modelsHome());
    String device = settings.device();
    int deviceId = device.startsWith("cuda:") ? Integer.parseInt(device.substring(5)) : 0;
    this.ortConfig = new OrtConfig(device.startsWith("cuda") ? "cuda" : "cpu", deviceId,
        settings.intraOpThreads(), 0, 8, Precision.FP32);
    this.maxBatchSequences = settings.maxBatchSequences();
    this.defaultModel = settings.naturalnessModel();
  }

  /** The configured default model's name. */
  String defaultModel() {
    return defaultModel;
  }

  /** Whether {@code name} is loaded, in any precision. */
  boolean isLoaded(String name) {
    return loaded.keySet().stream().anyMatch(k -> k.name().equals(name));
  }

  /** The name a request's model resolves to. */
  String nameOf(ModelRef ref) {
    return ref.getName().isBlank() ? defaultModel : ref.getName();
  }

  /**
   * The scorer for {@code ref} (the default model when its name is empty), loading it on first
   * use: masked-LM pseudo-perplexity for a {@code bert-mlm} model, causal perplexity for a {@code
   * gpt2-clm} or {@code opt-clm} one.
   *
   * @throws StatusRuntimeException FAILED_PRECONDITION when the model is absent, incomplete, of an
   *     architecture the scorer cannot score, or lacks the requested precision; INVALID_ARGUMENT
   *     for a malformed name
   */
  NaturalnessScorer scorer(ModelRef ref) {
    Precision precision = switch (ref.getPrecision()) {
      case MODEL_PRECISION_UNSPECIFIED, MODEL_PRECISION_FP32 -> Precision.FP32;
      case MODEL_PRECISION_INT8 -> Precision.INT8;
      case MODEL_PRECISION_BF16 -> throw Status.FAILED_PRECONDITION.withDescription(
          "model.precision: this build has no bf16 graphs; use MODEL_PRECISION_FP32 or"
              + " MODEL_PRECISION_INT8").asRuntimeException();
      default -> throw Status.INVALID_ARGUMENT.withDescription(
          "model.precision: unknown value " + ref.getPrecisionValue()).asRuntimeException();
    };
    Key key = new Key(nameOf(ref), precision);
    NaturalnessScorer lm = loaded.get(key);
    if (lm != null) {
      return lm;
    }
    // Loading BERT-base takes seconds; concurrent first calls may both load, the map keeps one.
    return loaded.computeIfAbsent(key, k -> load(k.name(), k.precision()));
  }

  private NaturalnessScorer load(String name, Precision precision) {
    ModelDir dir;
    try {
      dir = store.require(name);
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription("model.name: " + e.getMessage())
          .asRuntimeException();
    } catch (IOException e) {
      throw Status.FAILED_PRECONDITION.withDescription(e.getMessage()
          + "; `pin models list` shows what the store holds").asRuntimeException();
    }
    String arch = dir.manifest().architecture();
    boolean masked = ModelManifest.ARCH_BERT_MLM.equals(arch);
    if (!masked && !CausalLm.isCausal(arch)) {
      throw Status.FAILED_PRECONDITION.withDescription("model '" + name + "' has architecture "
          + arch + "; the scorer scores masked LMs (" + ModelManifest.ARCH_BERT_MLM + ") by"
          + " pseudo-perplexity and causal LMs (" + ModelManifest.ARCH_GPT2_CLM + ", "
          + ModelManifest.ARCH_OPT_CLM + ") by perplexity").asRuntimeException();
    }
    try {
      NaturalnessScorer scorer;
      if (masked) {
        MaskedLm lm = MaskedLm.open(dir, ortConfig.withPrecision(precision));
        scorer = new MaskedLmNaturalness(new OrtMaskedScoringLm(lm), maxBatchSequences);
      } else {
        // A causal batch holds |V| logits per token position, so the same budget counts positions.
        CausalLm lm = CausalLm.open(dir, ortConfig.withPrecision(precision));
        OrtCausalScoringLm scoring = new OrtCausalScoringLm(lm);
        tokenizerOwners.add(scoring);
        scorer = new CausalLmNaturalness(scoring, maxBatchSequences);
      }
      log.info("scorer loaded {} ({}, {}, {})", name, arch, precision, ortConfig.device());
      return scorer;
    } catch (IllegalStateException e) {
      // ModelDir.modelFile: no such precision variant; the message says how to create it.
      throw Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException();
    } catch (IOException e) {
      throw Status.FAILED_PRECONDITION.withDescription("model '" + name + "' cannot be loaded: "
          + e.getMessage() + " (re-import it: pin models import " + name + ")")
          .asRuntimeException();
    }
  }

  /** Releases the causal LMs' tokenizers; ONNX Runtime sessions belong to the shared registry. */
  @Override
  public void close() {
    tokenizerOwners.forEach(OrtCausalScoringLm::close);
    tokenizerOwners.clear();
  }
}
