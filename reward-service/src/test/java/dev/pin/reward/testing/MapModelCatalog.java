package dev.pin.reward.testing;

import dev.pin.reward.backend.ModelCatalog;
import dev.pin.reward.backend.TaskLanguageModel;
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
