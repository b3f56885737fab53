package dev.pin.reward.task;

import dev.pin.models.image.ImageDecoder;
import dev.pin.models.template.PromptTemplate;
import dev.pin.reward.backend.ModelCatalog;
import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.classification.Verbalizers;
import dev.pin.reward.custom.InvalidParameterException;
import dev.pin.reward.custom.RewardFunction;
import dev.pin.reward.custom.RewardFunctionRegistry;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.CustomTask;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.TaskType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Registers task specs and holds them by handle.
 *
 * <p>{@link #register} validates the spec (every problem is collected and reported with its field
 * path), resolves the models through the {@link ModelCatalog}, checks the verbalizers against the
 * task model's tokenizer, canonicalises the spec and stores it under its content hash. Registration
 * is idempotent. The registry keeps at most {@code maxTasks} tasks and evicts the least recently
 * used; a client that meets NOT_FOUND re-registers and gets the same handle. Thread-safe.
 */
public final class TaskRegistry {

  private static final String ROOT = "task";

  /** Default {@code reward.max-task-bytes}: 32 MiB of serialized spec per task. */
  public static final long DEFAULT_MAX_TASK_BYTES = 32L << 20;
  /** Default {@code reward.max-registered-bytes}: 256 MiB of serialized specs in all. */
  public static final long DEFAULT_MAX_TOTAL_BYTES = 256L << 20;

  private final ModelCatalog catalog;
  private final RewardFunctionRegistry functions;
  private final int maxTasks;
  private final long maxTaskBytes;
  private final long maxTotalBytes;
  private final LinkedHashMap<String, RegisteredTask> tasks;
  /** Serialized size of each held task's spec; their sum is {@link #totalBytes}. */
  private final java.util.Map<String, Integer> sizes = new java.util.HashMap<>();
  private long totalBytes;
  private final List<Consumer<String>> evictionListeners = new CopyOnWriteArrayList<>();

  /**
   * Creates a registry.
   *
   * @param catalog resolves model references
   * @param functions custom reward functions by name
   * @param maxTasks most tasks held at once (LRU beyond it)
   */
  public TaskRegistry(ModelCatalog catalog, RewardFunctionRegistry functions, int maxTasks) {
    this(catalog, functions, maxTasks, DEFAULT_MAX_TASK_BYTES, DEFAULT_MAX_TOTAL_BYTES);
  }

  /**
   * Creates a registry bounded in count and in bytes: one client's inline examples cannot fill
   * the heap (111 tasks of ~48 MB did, before these bounds).
   *
   * @param maxTasks most tasks held at once (LRU beyond it)
   * @param maxTaskBytes largest task accepted, in serialized bytes (RESOURCE_EXHAUSTED beyond)
   * @param maxTotalBytes most serialized bytes held in all (LRU eviction beyond)
   */
  public TaskRegistry(ModelCatalog catalog, RewardFunctionRegistry functions, int maxTasks,
      long maxTaskBytes, long maxTotalBytes) {
    this.catalog = Objects.requireNonNull(catalog);
    this.functions = Objects.requireNonNull(functions);
    if (maxTasks < 1 || maxTaskBytes < 1 || maxTotalBytes < maxTaskBytes) {
      throw new IllegalArgumentException("need maxTasks >= 1 and 1 <= maxTaskBytes <= "
          + "maxTotalBytes, got " + maxTasks + ", " + maxTaskBytes + ", " + maxTotalBytes);
    }
    this.maxTasks = maxTasks;
    this.maxTaskBytes = maxTaskBytes;
    this.maxTotalBytes = maxTotalBytes;
    this.tasks = new LinkedHashMap<>(16, 0.75f, true);
  }

  /**
   * Validates and registers a task.
   *
   * @param spec the task with inline examples
   * @return the registered task (the existing one when the same spec was registered before)
   * @throws TaskValidationException for a malformed spec (INVALID_ARGUMENT)
   * @throws ModelNotFoundException for a model missing from the store (FAILED_PRECONDITION)
   */
  public RegisteredTask register(TaskSpec spec) {
    int bytes = spec.getSerializedSize();
    if (bytes > maxTaskBytes) {
      throw new TaskTooLargeException(bytes, maxTaskBytes);
    }
    RegisteredTask task =
        switch (spec.getTaskCase()) {
          case CLASSIFICATION -> classification(spec);
          case STYLE_TRANSFER -> styleTransfer(spec);
          case IMAGE_INVERSION -> imageInversion(spec);
          case CUSTOM -> custom(spec);
          default ->
              throw new TaskValidationException(
                  List.of(
                      new FieldError(
                          ROOT,
                          "set one of classification, style_transfer, image_inversion or custom")));
        };
    List<String> evicted = new ArrayList<>();
    RegisteredTask result;
    synchronized (tasks) {
      RegisteredTask existing = tasks.get(task.handle());
      if (existing != null) {
        return existing;
      }
      tasks.put(task.handle(), task);
      sizes.put(task.handle(), bytes);
      totalBytes += bytes;
      var it = tasks.entrySet().iterator();
      while (tasks.size() > maxTasks || (totalBytes > maxTotalBytes && tasks.size() > 1)) {
        String eldest = it.next().getKey();
        it.remove();
        totalBytes -= sizes.remove(eldest);
        evicted.add(eldest);
      }
      result = task;
    }
    for (String handle : evicted) {
      for (Consumer<String> l : evictionListeners) {
        l.accept(handle);
      }
    }
    return result;
  }

  /**
   * Adds a callback for evicted handles, so holders of per-task state (scorers, embedded target
   * images) can drop it.
   *
   * @param listener called with each evicted handle, outside the registry's lock
   */
  public void addEvictionListener(Consumer<String> listener) {
    evictionListeners.add(Objects.requireNonNull(listener));
  }

  /**
   * Looks a handle up.
   *
   * @param handle a handle from {@link #register}
   * @return the task, or empty
   */
  public Optional<RegisteredTask> get(String handle) {
    synchronized (tasks) {
      return Optional.ofNullable(tasks.get(handle));
    }
  }

  /**
   * Looks a handle up or fails.
   *
   * @param handle a handle from {@link #register}
   * @return the task
   * @throws UnknownTaskException when this replica does not hold it (NOT_FOUND)
   */
  public RegisteredTask require(String handle) {
    return get(handle).orElseThrow(() -> new UnknownTaskException(handle));
  }

  /**
   * Serialized bytes of the tasks held now (at most {@code reward.max-registered-bytes}).
   *
   * @return the sum of their specs' serialized sizes
   */
  public long totalBytes() {
    synchronized (tasks) {
      return totalBytes;
    }
  }

  /**
   * Tasks held now.
   *
   * @return the count
   */
  public int size() {
    synchronized (tasks) {
      return tasks.size();
    }
  }

  // ---- classification (§6.1) ----

  private RegisteredTask classification(TaskSpec spec) {
    String path = ROOT + ".classification";
    ClassificationTask c = spec.getClassification();
    List<FieldError> errors = new ArrayList<>();
    requireModelName(
        c.hasTaskModel() ? c.getTaskModel() : null,
        path + ".task_model",
        "a task LM, e.g. \"bert-base-uncased\"",
        errors);
    int classes = c.getVerbalizersCount();
    if (classes < 2) {
      errors.add(
          new FieldError(
              path + ".verbalizers",
              "give one label word per class, at least 2 (got " + classes + ")"));
    }
    if (c.getLabelNamesCount() != 0 && c.getLabelNamesCount() != classes) {
      errors.add(
          new FieldError(
              path + ".label_names",
              c.getLabelNamesCount()
                  + " names for "
                  + classes
                  + " classes; give one per verbalizer or none"));
    }
    multiplier(c.getCorrectMultiplier(), path + ".correct_multiplier", errors);
    multiplier(c.getIncorrectMultiplier(), path + ".incorrect_multiplier", errors);
    if (c.getTrainCount() == 0) {
      errors.add(
          new FieldError(
              path + ".train",
              "no inline examples; the reward service needs examples inline (the orchestrator fills"
                  + " them from task.classification.data)"));
    }
    labeledExamples(c.getTrainList(), path + ".train", classes, errors);
    labeledExamples(c.getDevList(), path + ".dev", classes, errors);
    labeledExamples(c.getTestList(), path + ".test", classes, errors);
    throwIfAny(errors);

    TaskLanguageModel model =
        catalog
            .languageModel(c.getTaskModel())
            .orElseThrow(
                () ->
                    new ModelNotFoundException(
                        path + ".task_model",
                        c.getTaskModel().getName(),
                        "a masked or causal language model"));
    TaskSpec canonical = TaskCanonicalizer.canonicalize(
        spec, model.isMasked(), model.tokenizer().lowercases());
    ClassificationTask cc = canonical.getClassification();
    PromptTemplate template = PromptTemplate.parse(cc.getTemplate());
    checkTemplate(template, path + ".template", errors);
    if (model.isMasked() && template.count(PromptTemplate.MASK) != 1) {
      errors.add(
          new FieldError(
              path + ".template",
              "must contain {mask} exactly once: task model '"
                  + model.name()
                  + "' is a masked LM and is read at the mask (found "
                  + template.count(PromptTemplate.MASK)
                  + "), e.g. \""
                  + PromptTemplate.DEFAULT_MASKED
                  + "\""));
    }
    if (!model.isMasked() && template.count(PromptTemplate.MASK) != 0) {
      errors.add(
          new FieldError(
              path + ".template",
              "remove {mask}: task model '"
                  + model.name()
                  + "' is a causal LM and is read at the next token after the text, e.g. \""
                  + PromptTemplate.DEFAULT_CAUSAL
                  + "\""));
    }
    throwIfAny(errors);

    String maskToken = "";
    if (model.isMasked()) {
      maskToken =
          model
              .tokenizer()
              .maskToken()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "masked task model '"
                              + model.name()
                              + "' has a tokenizer without a mask token"));
    }
    Verbalizers.Resolution v =
        Verbalizers.resolve(
            cc.getVerbalizersList(),
            model.tokenizer(),
            template.labelWordFollowsSpace(model.isMasked()),
            model.name());
    for (Verbalizers.Problem p : v.problems()) {
      errors.add(new FieldError(path + ".verbalizers[" + p.index() + "]", p.message()));
    }
    throwIfAny(errors);
    return new RegisteredTask(
        TaskHandles.handleOf(canonical),
        TaskType.TASK_TYPE_CLASSIFICATION,
        canonical,
        v.ids(),
        v.tokens(),
        model,
        maskToken,
        null);
  }

  private static void multiplier(float value, String path, List<FieldError> errors) {
    if (!Float.isFinite(value) || value < 0f) {
      errors.add(new FieldError(path, value + " must be a finite number >= 0 (0 = the default)"));
    }
  }

  private static void labeledExamples(
      List<LabeledText> examples, String path, int classes, List<FieldError> errors) {
    for (int i = 0; i < examples.size(); i++) {
      LabeledText e = examples.get(i);
      if (e.getText().isBlank()) {
        errors.add(new FieldError(path + "[" + i + "].text", "empty sentence"));
      }
      if (classes >= 2 && (e.getLabel() < 0 || e.getLabel() >= classes)) {
        errors.add(
            new FieldError(
                path + "[" + i + "].label",
                e.getLabel() + " is outside [0, " + classes + "): labels index the verbalizers"));
      }
    }
  }

  private static void checkTemplate(PromptTemplate template, String path, List<FieldError> errors) {
    if (template.count(PromptTemplate.PROMPT) < 1) {
      errors.add(new FieldError(path, "must contain {prompt} (got \"" + template.source() + "\")"));
    }
    if (template.count(PromptTemplate.SENTENCE) < 1) {
      errors.add(
          new FieldError(path, "must contain {sentence} (got \"" + template.source() + "\")"));
    }
  }

  // ---- style transfer (§6.2) ----

  private RegisteredTask styleTransfer(TaskSpec spec) {
    String path = ROOT + ".style_transfer";
    StyleTransferTask s = spec.getStyleTransfer();
    List<FieldError> errors = new ArrayList<>();
    requireModelName(
        s.hasGenerator() ? s.getGenerator() : null, path + ".generator", "a causal LM", errors);
    requireModelName(
        s.hasStyleClassifier() ? s.getStyleClassifier() : null,
        path + ".style_classifier",
        "a sequence classifier",
        errors);
    requireModelName(
        s.hasContentModel() ? s.getContentModel() : null,
        path + ".content_model",
        "an encoder for BERTScore",
        errors);
    if (s.getTargetLabel() < 0) {
      errors.add(new FieldError(path + ".target_label", s.getTargetLabel() + " must be >= 0"));
    }
    if (s.getContentLayer() < 0) {
      errors.add(
          new FieldError(
              path + ".content_layer", s.getContentLayer() + " must be >= 0 (0 = final layer)"));
    }
    GenerationConfig g = s.getGeneration();
    if (g.getTopK() < 0) {
      errors.add(new FieldError(path + ".generation.top_k", g.getTopK() + " must be >= 0"));
    }
    if (!Float.isFinite(g.getTemperature()) || g.getTemperature() < 0f) {
      errors.add(
          new FieldError(
              path + ".generation.temperature",
              g.getTemperature() + " must be a finite number >= 0"));
    }
    if (g.getNumSamples() < 0) {
      errors.add(
          new FieldError(path + ".generation.num_samples", g.getNumSamples() + " must be >= 0"));
    }
    if (g.getGroupSize() < 0) {
      errors.add(
          new FieldError(path + ".generation.group_size", g.getGroupSize() + " must be >= 0"));
    }
    if (g.getMaxNewTokens() < 0) {
      errors.add(
          new FieldError(
              path + ".generation.max_new_tokens", g.getMaxNewTokens() + " must be >= 0"));
    }
    if (s.getTrainCount() == 0) {
      errors.add(
          new FieldError(
              path + ".train",
              "no inline source sentences; the reward service needs them inline (the orchestrator"
                  + " fills them from task.style_transfer.data)"));
    }
    styleExamples(s.getTrainList(), path + ".train", errors);
    styleExamples(s.getDevList(), path + ".dev", errors);
    styleExamples(s.getTestList(), path + ".test", errors);
    TaskSpec canonical = TaskCanonicalizer.canonicalize(spec, false);
    PromptTemplate template = PromptTemplate.parse(canonical.getStyleTransfer().getTemplate());
    checkTemplate(template, path + ".template", errors);
    if (template.count(PromptTemplate.MASK) != 0) {
      errors.add(
          new FieldError(path + ".template", "remove {mask}: the generator continues the text"));
    }
    throwIfAny(errors);
    requireModel(
        s.getGenerator(), path + ".generator", "a causal LM (the style-transfer generator)");
    requireModel(s.getStyleClassifier(), path + ".style_classifier", "a style classifier");
    requireModel(s.getContentModel(), path + ".content_model", "an encoder for BERTScore");
    if (s.hasFluencyClassifier() && !s.getFluencyClassifier().getName().isBlank()) {
      requireModel(s.getFluencyClassifier(), path + ".fluency_classifier", "a fluency classifier");
    }
    // Present is not enough: each model must serve its role, or the task could never be scored
    // and every Score would fail after a successful registration (§6.2 needs all three).
    if (catalog.generator(s.getGenerator()).isEmpty()) {
      throw ModelNotFoundException.wrongKind(path + ".generator", s.getGenerator().getName(),
          "a causal LM generator (gpt2-clm, opt-clm)");
    }
    SequenceClassifier style = catalog.classifier(s.getStyleClassifier()).orElseThrow(
        () -> ModelNotFoundException.wrongKind(path + ".style_classifier",
            s.getStyleClassifier().getName(), "a sequence classifier (bert-cls, roberta-cls)"));
    if (catalog.embedder(s.getContentModel()).isEmpty()) {
      throw ModelNotFoundException.wrongKind(path + ".content_model",
          s.getContentModel().getName(), "a BERT-family encoder for BERTScore");
    }
    if (s.hasFluencyClassifier() && !s.getFluencyClassifier().getName().isBlank()
        && catalog.classifier(s.getFluencyClassifier()).isEmpty()) {
      throw ModelNotFoundException.wrongKind(path + ".fluency_classifier",
          s.getFluencyClassifier().getName(), "a sequence classifier (bert-cls, roberta-cls)");
    }
    if (style.labelCount() > 0 && s.getTargetLabel() >= style.labelCount()) {
      throw new TaskValidationException(List.of(new FieldError(path + ".target_label",
          s.getTargetLabel() + " is not a label of style classifier '"
              + s.getStyleClassifier().getName() + "', which has " + style.labelCount()
              + " (0-" + (style.labelCount() - 1) + ")")));
    }
    return new RegisteredTask(
        TaskHandles.handleOf(canonical),
        TaskType.TASK_TYPE_STYLE_TRANSFER,
        canonical,
        new int[0],
        List.of(),
        null,
        "",
        null);
  }

  private static void styleExamples(
      List<StyleExample> examples, String path, List<FieldError> errors) {
    for (int i = 0; i < examples.size(); i++) {
      if (examples.get(i).getText().isBlank()) {
        errors.add(new FieldError(path + "[" + i + "].text", "empty sentence"));
      }
    }
  }

  // ---- image inversion (§6.3) ----

  private RegisteredTask imageInversion(TaskSpec spec) {
    String path = ROOT + ".image_inversion";
    ImageInversionTask t = spec.getImageInversion();
    List<FieldError> errors = new ArrayList<>();
    requireModelName(t.hasClip() ? t.getClip() : null, path + ".clip", "a CLIP model", errors);
    if (t.getTargetsCount() == 0) {
      errors.add(
          new FieldError(
              path + ".targets",
              "no inline target images; the reward service needs the image bytes (the orchestrator"
                  + " fills them from task.image_inversion.data)"));
    }
    for (int i = 0; i < t.getTargetsCount(); i++) {
      try {
        ImageDecoder.decode(t.getTargets(i).getData().toByteArray());
      } catch (IllegalArgumentException e) {
        String source = t.getTargets(i).getSource();
        errors.add(
            new FieldError(
                path + ".targets[" + i + "].data",
                e.getMessage() + (source.isEmpty() ? "" : " (source " + source + ")")));
      }
    }
    throwIfAny(errors);
    requireModel(t.getClip(), path + ".clip", "a CLIP model");
    TaskSpec canonical = TaskCanonicalizer.canonicalize(spec, false);
    return new RegisteredTask(
        TaskHandles.handleOf(canonical),
        TaskType.TASK_TYPE_IMAGE_INVERSION,
        canonical,
        new int[0],
        List.of(),
        null,
        "",
        null);
  }

  // ---- custom ----

  private RegisteredTask custom(TaskSpec spec) {
    String path = ROOT + ".custom";
    CustomTask c = spec.getCustom();
    List<FieldError> errors = new ArrayList<>();
    RewardFunction fn = null;
    if (c.getRewardFunction().isBlank()) {
      errors.add(
          new FieldError(
              path + ".reward_function",
              "name a reward function; registered: " + String.join(", ", functions.names())));
    } else {
      fn = functions.get(c.getRewardFunction()).orElse(null);
      if (fn == null) {
        errors.add(
            new FieldError(
                path + ".reward_function",
                "no reward function named '"
                    + c.getRewardFunction()
                    + "'; registered: "
                    + String.join(", ", functions.names())));
      } else {
        try {
          fn.validate(c.getParamsMap());
        } catch (InvalidParameterException e) {
          errors.add(new FieldError(path + ".params[\"" + e.param() + "\"]", e.getMessage()));
        } catch (IllegalArgumentException e) {
          errors.add(new FieldError(path + ".params", e.getMessage()));
        }
      }
    }
    throwIfAny(errors);
    if (c.hasModel() && !c.getModel().getName().isBlank()) {
      requireModel(
          c.getModel(), path + ".model", "the model of reward function '" + fn.name() + "'");
    }
    TaskSpec canonical = TaskCanonicalizer.canonicalize(spec, false);
    return new RegisteredTask(
        TaskHandles.handleOf(canonical),
        TaskType.TASK_TYPE_CUSTOM,
        canonical,
        new int[0],
        List.of(),
        null,
        "",
        fn);
  }

  // ---- helpers ----

  private static void requireModelName(
      ModelRef ref, String path, String what, List<FieldError> errors) {
    if (ref == null || ref.getName().isBlank()) {
      errors.add(new FieldError(path + ".name", "name " + what));
    }
  }

  private void requireModel(ModelRef ref, String path, String what) {
    if (!catalog.contains(ref)) {
      throw new ModelNotFoundException(path, ref.getName(), what);
    }
  }

  private static void throwIfAny(List<FieldError> errors) {
    if (!errors.isEmpty()) {
      throw new TaskValidationException(errors);
    }
  }

  /**
   * The field errors as a map from path to message (for logs and tests).
   *
   * @param e a validation failure
   * @return path → message, in order
   */
  public static Map<String, String> byPath(TaskValidationException e) {
    Map<String, String> out = new LinkedHashMap<>();
    for (FieldError f : e.errors()) {
      out.merge(f.path(), f.message(), (a, b) -> a + "; " + b);
    }
    return out;
  }
}
