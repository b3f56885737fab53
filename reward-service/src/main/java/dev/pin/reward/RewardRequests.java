package dev.pin.reward;

import dev.pin.kit.grpc.FieldErrors;
import dev.pin.models.store.ModelStore;
import dev.pin.v1.EmbedImageRequest;
import dev.pin.v1.EmbedTextRequest;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.GenerateRequest;
import dev.pin.v1.Prompt;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.TaskSpec;
import java.util.List;

/** Validation of Reward requests; each error names the field and what a valid value is. */
final class RewardRequests {
  /** Most prompts in one Score/Evaluate request. */
  static final int MAX_PROMPTS = 4096;
  /** Longest prompt text accepted (characters). */
  static final int MAX_PROMPT_CHARS = 4096;

  private RewardRequests() {}

  static void register(RegisterTaskRequest r) {
    FieldErrors errors = new FieldErrors();
    errors.check(r.getTask().getTaskCase() != TaskSpec.TaskCase.TASK_NOT_SET, "task",
        "set one of classification, style_transfer, image_inversion or custom");
    TaskSpec t = r.getTask();
    switch (t.getTaskCase()) {
      case CLASSIFICATION -> storeName(errors, "task.classification.task_model.name",
          t.getClassification().getTaskModel().getName());
      case STYLE_TRANSFER -> {
        String p = "task.style_transfer.";
        storeName(errors, p + "generator.name", t.getStyleTransfer().getGenerator().getName());
        storeName(errors, p + "style_classifier.name",
            t.getStyleTransfer().getStyleClassifier().getName());
        storeName(errors, p + "content_model.name",
            t.getStyleTransfer().getContentModel().getName());
        storeName(errors, p + "fluency_classifier.name",
            t.getStyleTransfer().getFluencyClassifier().getName());
      }
      case IMAGE_INVERSION -> storeName(errors, "task.image_inversion.clip.name",
          t.getImageInversion().getClip().getName());
      case CUSTOM -> storeName(errors, "task.custom.model.name",
          t.getCustom().getModel().getName());
      case TASK_NOT_SET -> { }
    }
    errors.throwIfAny();
  }

  /** A model name, where one is given, must name a folder in the store (empty: the default). */
  private static void storeName(FieldErrors errors, String field, String name) {
    if (!name.isEmpty()) {
      ModelStore.checkName(errors, field, name);
    }
  }

  static void handle(FieldErrors errors, String handle) {
    errors.required("handle", handle);
  }

  static void prompts(FieldErrors errors, List<Prompt> prompts) {
    errors.range("prompts", prompts.size(), 1, MAX_PROMPTS);
    for (int i = 0; i < prompts.size(); i++) {
      errors.check(prompts.get(i).getText().length() <= MAX_PROMPT_CHARS,
          "prompts[" + i + "].text", "must be at most %d characters, got %d", MAX_PROMPT_CHARS,
          prompts.get(i).getText().length());
    }
  }

  static void score(ScoreRequest r) {
    FieldErrors errors = new FieldErrors();
    handle(errors, r.getHandle());
    prompts(errors, r.getPromptsList());
    errors.check(r.getSplitValue() >= 0 && r.getSplitValue() <= 3, "split",
        "must be SPLIT_TRAIN, SPLIT_DEV or SPLIT_TEST, got %d", r.getSplitValue());
    for (int i = 0; i < r.getExampleIndicesCount(); i++) {
      errors.check(r.getExampleIndices(i) >= 0, "example_indices[" + i + "]",
          "must be a non-negative example index, got %d", r.getExampleIndices(i));
    }
    if (r.getReadTokenIds()) {
      // The vocabulary bound needs the task model; the engine checks it.
      for (int i = 0; i < r.getPromptsCount(); i++) {
        errors.check(r.getPrompts(i).getTokenIdsCount() > 0, "prompts[" + i + "].token_ids",
            "must hold the prompt's ids in the task model's vocabulary when read_token_ids is set"
                + " (the task model reads them instead of the text)");
      }
    }
    errors.throwIfAny();
  }

  static void evaluate(EvaluateRequest r) {
    FieldErrors errors = new FieldErrors();
    handle(errors, r.getHandle());
    prompts(errors, r.getPromptsList());
    errors.check(r.getSplitValue() >= 0 && r.getSplitValue() <= 3, "split",
        "must be SPLIT_TRAIN, SPLIT_DEV or SPLIT_TEST, got %d", r.getSplitValue());
    errors.throwIfAny();
  }

  static void generate(GenerateRequest r) {
    FieldErrors errors = new FieldErrors();
    handle(errors, r.getHandle());
    errors.check(r.getInputsCount() > 0, "inputs", "must hold at least one sentence to rewrite");
    errors.range("generation.top_k", r.getGeneration().getTopK(), 0, 1 << 20);
    errors.range("generation.num_samples", r.getGeneration().getNumSamples(), 0, 4096);
    errors.range("generation.temperature", r.getGeneration().getTemperature(), 0.0, 100.0);
    errors.throwIfAny();
  }

  static void embedText(EmbedTextRequest r) {
    FieldErrors errors = new FieldErrors();
    ModelStore.checkName(errors, "model.name", r.getModel().getName());
    errors.range("texts", r.getTextsCount(), 1, MAX_PROMPTS);
    errors.throwIfAny();
  }

  static void embedImage(EmbedImageRequest r) {
    FieldErrors errors = new FieldErrors();
    ModelStore.checkName(errors, "model.name", r.getModel().getName());
    errors.range("images", r.getImagesCount(), 1, 1024);
    for (int i = 0; i < r.getImagesCount(); i++) {
      errors.check(!r.getImages(i).getData().isEmpty(), "images[" + i + "].data",
          "must hold the encoded PNG or JPEG bytes");
    }
    errors.throwIfAny();
  }
}
