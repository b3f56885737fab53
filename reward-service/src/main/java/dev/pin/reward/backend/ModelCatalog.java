package dev.pin.reward.backend;

import dev.pin.v1.ModelRef;
import java.util.Optional;

/**
 * Resolves the {@link ModelRef}s of a task spec to loaded models. The service wiring implements
 * it over the model store; an empty result becomes FAILED_PRECONDITION at registration.
 */
public interface ModelCatalog {

  /**
   * The task language model named by {@code ref}.
   *
   * @param ref a model in the model store
   * @return the loaded model, or empty when the store has no such model (or it is not an LM)
   */
  Optional<TaskLanguageModel> languageModel(ModelRef ref);

  /**
   * Whether the model store holds {@code ref} at all (style classifiers, encoders, CLIP).
   *
   * @param ref a model in the model store
   * @return true when the model can be loaded
   */
  boolean contains(ModelRef ref);
}
