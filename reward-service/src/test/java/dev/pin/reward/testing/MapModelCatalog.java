package dev.pin.reward.testing;

import dev.pin.reward.backend.ClipModel;
import dev.pin.reward.backend.ModelCatalog;
import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.backend.TextGenerator;
import dev.pin.reward.backend.TokenEmbedder;
import dev.pin.v1.ModelRef;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A model catalog over an in-memory map (the model store's role in tests). */
public final class MapModelCatalog implements ModelCatalog {
  private final Map<String, TaskLanguageModel> languageModels = new HashMap<>();
  private final Set<String> others = new HashSet<>();
  private final Map<String, TextGenerator> generators = new HashMap<>();
  private final Map<String, SequenceClassifier> classifiers = new HashMap<>();
  private final Map<String, TokenEmbedder> embedders = new HashMap<>();
  private final Map<String, ClipModel> clips = new HashMap<>();

  /** Adds a generator. */
  public MapModelCatalog withGenerator(String name, TextGenerator model) {
    generators.put(name, model);
    return withModel(name);
  }

  /** Adds a sequence classifier. */
  public MapModelCatalog withClassifier(String name, SequenceClassifier model) {
    classifiers.put(name, model);
    return withModel(name);
  }

  /** Adds a token encoder. */
  public MapModelCatalog withEmbedder(String name, TokenEmbedder model) {
    embedders.put(name, model);
    return withModel(name);
  }

  /** Adds a CLIP model. */
  public MapModelCatalog withClip(String name, ClipModel model) {
    clips.put(name, model);
    return withModel(name);
  }

  @Override
  public Optional<TextGenerator> generator(ModelRef ref) {
    return Optional.ofNullable(generators.get(ref.getName()));
  }

  @Override
  public Optional<SequenceClassifier> classifier(ModelRef ref) {
    return Optional.ofNullable(classifiers.get(ref.getName()));
  }

  @Override
  public Optional<TokenEmbedder> embedder(ModelRef ref) {
    return Optional.ofNullable(embedders.get(ref.getName()));
  }

  @Override
  public Optional<ClipModel> clip(ModelRef ref) {
    return Optional.ofNullable(clips.get(ref.getName()));
  }

  /** Adds a task LM under a name. */
  public MapModelCatalog withLanguageModel(String name, TaskLanguageModel model) {
    languageModels.put(name, model);
    return this;
  }

  /** Adds a non-LM model name (classifier, encoder, CLIP). */
  public MapModelCatalog withModel(String name) {
    others.add(name);
    return this;
  }

  @Override
  public Optional<TaskLanguageModel> languageModel(ModelRef ref) {
    return Optional.ofNullable(languageModels.get(ref.getName()));
  }

  @Override
  public boolean contains(ModelRef ref) {
    return others.contains(ref.getName()) || languageModels.containsKey(ref.getName());
  }
}
