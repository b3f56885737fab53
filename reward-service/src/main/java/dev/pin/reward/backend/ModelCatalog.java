package dev.pin.reward.backend;

import dev.pin.v1.ModelRef;
import java.util.Optional;

/**
 * Resolves the {@link ModelRef}s of a task spec to loaded models. The service wiring implements it
 * over the model store; an empty result becomes FAILED_PRECONDITION at registration.
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

  /**
   * The causal generator named by {@code ref} (style transfer).
   *
   * @param ref a model in the model store
   * @return the generator, or empty when missing or not a generator
   */
  default Optional<TextGenerator> generator(ModelRef ref) {
    return Optional.empty();
  }

  /**
   * The sequence classifier named by {@code ref} (style, fluency).
   *
   * @param ref a model in the model store
   * @return the classifier, or empty when missing or not a classifier
   */
  default Optional<SequenceClassifier> classifier(ModelRef ref) {
    return Optional.empty();
  }

  /**
   * The token encoder named by {@code ref} (BERTScore).
   *
   * @param ref a model in the model store
   * @return the encoder, or empty when missing or not an encoder
   */
  default Optional<TokenEmbedder> embedder(ModelRef ref) {
    return Optional.empty();
  }

  /**
   * The CLIP model named by {@code ref} (image inversion).
   *
   * @param ref a model in the model store
   * @return the model, or empty when missing or not CLIP
   */
  default Optional<ClipModel> clip(ModelRef ref) {
    return Optional.empty();
  }
}
