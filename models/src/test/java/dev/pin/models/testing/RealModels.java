package dev.pin.models.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import java.util.Optional;

/**
 * The one assumption helper for tests that need real pretrained weights (STYLE.md "Tests"): they
 * are skipped, not failed, when the model has not been imported into the store
 * ({@code pin models import bert-base-uncased}).
 */
public final class RealModels {
  /** Store name of the embedded default masked LM. */
  public static final String BERT_BASE_UNCASED = "bert-base-uncased";

  private RealModels() {}

  /**
   * Skips the calling test unless BERT-base-uncased is imported in the default store
   * ({@code $PIN_MODELS_HOME} or {@code ~/.cache/pin/models}).
   *
   * @return the model directory
   */
  public static ModelDir assumeBertBase() {
    return assumeModel(BERT_BASE_UNCASED);
  }

  /** Skips the calling test unless model {@code name} is in the default store. */
  public static ModelDir assumeModel(String name) {
    ModelStore store = ModelStore.defaultStore();
    Optional<ModelDir> dir = store.find(name);
    assumeTrue(dir.isPresent(), () -> name + " is not in the model store " + store.home()
        + "; run: pin models import " + name);
    return dir.get();
  }
}
