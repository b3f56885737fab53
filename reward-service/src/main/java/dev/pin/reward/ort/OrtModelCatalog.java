package dev.pin.reward.ort;

import dev.pin.platform.models.ort.MaskedLm;
import dev.pin.platform.models.ort.OrtConfig;
import dev.pin.platform.models.ort.OrtSessions;
import dev.pin.platform.models.onnx.Precision;
import dev.pin.platform.models.store.ModelDir;
import dev.pin.platform.models.store.ModelManifest;
import dev.pin.platform.models.store.ModelStore;
import dev.pin.reward.backend.ModelCatalog;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.v1.ModelPrecision;
import dev.pin.v1.ModelRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reward service's models, from the model store through ONNX Runtime: one session per (model,
 * precision), shared by every task that names it. Masked LMs (bert-mlm) serve classification; the
 * generator, classifier and CLIP roles need architectures the model store cannot hold yet, so they
 * resolve to empty and registration answers FAILED_PRECONDITION naming the model.
 */
public final class OrtModelCatalog implements ModelCatalog, AutoCloseable {
  private final ModelStore store;
  private final OrtConfig ort;
  private final OrtSessions sessions = new OrtSessions();
  private final Map<ModelRef, TaskLanguageModel> languageModels = new ConcurrentHashMap<>();

  public OrtModelCatalog(ModelStore store, OrtConfig ort) {
    this.store = store;
    this.ort = ort;
  }

  @Override
  public Optional<TaskLanguageModel> languageModel(ModelRef ref) {
    Optional<ModelDir> dir = store.find(ref.getName());
    if (dir.isEmpty() || !isMaskedLm(dir.get().manifest())) {
      return Optional.empty();
    }
    return Optional.of(languageModels.computeIfAbsent(ref, r -> {
      try {
        return new OrtMaskedTaskModel(r.getName(),
            MaskedLm.open(dir.get(), ort.withPrecision(precision(r.getPrecision())), sessions));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load " + r.getName() + ": " + e.getMessage(), e);
      }
    }));
  }

  private static boolean isMaskedLm(ModelManifest m) {
    return ModelManifest.ARCH_BERT_MLM.equals(m.architecture())
        || ModelManifest.ARCH_ROBERTA_MLM.equals(m.architecture());
  }

  private static Precision precision(ModelPrecision p) {
    return p == ModelPrecision.MODEL_PRECISION_INT8 ? Precision.INT8 : Precision.FP32;
  }

  @Override
  public boolean contains(ModelRef ref) {
    return store.find(ref.getName()).isPresent();
  }

  /** Loads a model before the service turns SERVING (reward.preload-models). */
  public void preload(String name) {
    if (languageModel(ModelRef.newBuilder().setName(name).build()).isEmpty()) {
      throw new IllegalStateException("reward.preload-models names '" + name + "', which is not a "
          + "masked LM in the model store at " + store.home() + " (see `pin models list`)");
    }
  }

  @Override
  public void close() {
    languageModels.clear();
    sessions.close();
  }
}
