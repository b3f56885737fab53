package dev.pin.reward.scoring;

import dev.pin.models.image.ClipPreprocessor;
import dev.pin.models.image.ImageDecoder;
import dev.pin.reward.backend.ClipModel;
import dev.pin.reward.backend.ModelCatalog;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.cache.RewardCache;
import dev.pin.reward.cache.RewardCacheKey;
import dev.pin.reward.classification.BatchedLogits;
import dev.pin.reward.classification.ClassificationScorer;
import dev.pin.reward.image.ClipReward;
import dev.pin.reward.image.ImageInversionScorer;
import dev.pin.reward.style.StyleTransferScorer;
import dev.pin.reward.task.FieldError;
import dev.pin.reward.task.ModelNotFoundException;
import dev.pin.reward.task.RegisteredTask;
import dev.pin.reward.task.TaskRegistry;
import dev.pin.reward.task.TaskValidationException;
import dev.pin.v1.EmbedImageRequest;
import dev.pin.v1.EmbedResponse;
import dev.pin.v1.EmbedTextRequest;
import dev.pin.v1.Embedding;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.EvaluateResponse;
import dev.pin.v1.GenerateRequest;
import dev.pin.v1.GenerateResponse;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.PromptScore;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.Split;
import dev.pin.v1.StyleTransferTask;
import io.grpc.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Computes rewards for Score and Evaluate requests (ALGORITHMS.md §6).
 *
 * <p>{@link #score} returns one future per prompt, in prompt order, each completing as soon as that
 * prompt's model work is done (ScoreStream sends them as they complete; Score joins them). Request
 * problems (unknown handle, bad example indices, empty prompt list) are thrown at once; model and
 * queue problems fail the futures. Map either with {@link RewardStatuses}.
 *
 * <p>Classification texts go through one {@link BatchedLogits} per task model, so prompts from
 * every run and step share model batches. Style-transfer, image and custom scoring run on a bounded
 * pool of {@code scoringThreads}. Results are cached by (handle, split, example subset, prompt
 * text) — rewards are deterministic because every model is frozen and style-transfer sampling seeds
 * derive from the prompt and the sentence — and a prompt that occurs several times in one request
 * is computed once (its copies report {@code cached}).
 *
 * <p>Metric: {@code pin.reward.prompts.scored} (tags {@code type}, {@code cached}).
 */
public final class RewardEngine implements AutoCloseable {

  private final TaskRegistry registry;
  private final ModelCatalog catalog;
  private final RewardEngineConfig config;
  private final MeterRegistry meters;
  private final RewardCache<RewardCacheKey, PromptScore> cache;
  private final ExecutorService scoringPool;
  private final ConcurrentHashMap<String, BatchedLogits> logitsByModel = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TaskScorer> scorersByHandle = new ConcurrentHashMap<>();

  /**
   * Creates the engine.
   *
   * @param registry registered tasks
   * @param catalog the loaded models
   * @param config batching, cache and pool settings
   * @param meters where metrics go
   */
  public RewardEngine(
      TaskRegistry registry,
      ModelCatalog catalog,
      RewardEngineConfig config,
      MeterRegistry meters) {
    this.registry = Objects.requireNonNull(registry);
    this.catalog = Objects.requireNonNull(catalog);
    this.config = Objects.requireNonNull(config);
    this.meters = Objects.requireNonNull(meters);
    this.cache = new RewardCache<>("rewards", config.cacheEntries(), meters);
    registry.addEvictionListener(scorersByHandle::remove);
    AtomicInteger n = new AtomicInteger();
    // Bounded by threads, not by queue: admission control is the batcher's queue bound and the
    // gRPC layer's flow control; these tasks are per prompt and small in number per request.
    this.scoringPool =
        new ThreadPoolExecutor(
            config.scoringThreads(),
            config.scoringThreads(),
            0L,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "pin-reward-scoring-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * The task registry (RegisterTask / DescribeTask go straight to it).
   *
   * @return the registry
   */
  public TaskRegistry tasks() {
    return registry;
  }

  /**
   * The reward cache (for metrics and benchmarks).
   *
   * @return the cache
   */
  public RewardCache<RewardCacheKey, PromptScore> cache() {
    return cache;
  }

  /**
   * Scores a request's prompts.
   *
   * @param request the Score/ScoreStream request
   * @return one future per prompt, in prompt order
   * @throws TaskValidationException for a bad request (INVALID_ARGUMENT)
   * @throws dev.pin.reward.task.UnknownTaskException for an unknown handle (NOT_FOUND)
   */
  public List<CompletableFuture<PromptScore>> score(ScoreRequest request) {
    checkRequest(request.getHandle(), request.getPromptsCount());
    RegisteredTask task = registry.require(request.getHandle());
    Split split =
        request.getSplit() == Split.SPLIT_UNSPECIFIED ? Split.SPLIT_TRAIN : request.getSplit();
    List<Integer> indices = request.getExampleIndicesList();
    boolean readIds = request.getReadTokenIds();
    TaskScorer scorer = scorer(task);
    scorer.checkPrompts(request.getPromptsList(), readIds);
    TaskScorer.PromptComputer computer = scorer.computer(split, indices, readIds);
    List<CompletableFuture<PromptScore>> out = new ArrayList<>(request.getPromptsCount());
    // A policy often samples the same prompt twice in one step; each distinct prompt is scored
    // once per request, even with skip_cache (the in-flight sharing of the cache covers this only
    // when the cache is used).
    Map<RewardCacheKey, CompletableFuture<PromptScore>> inRequest = new HashMap<>();
    for (int i = 0; i < request.getPromptsCount(); i++) {
      Prompt prompt = request.getPrompts(i);
      RewardCacheKey key = readIds
          ? RewardCacheKey.ofTokenIds(task.handle(), split, indices, prompt.getTokenIdsList())
          : RewardCacheKey.of(task.handle(), split, indices, prompt.getText());
      CompletableFuture<PromptScore> full = inRequest.get(key);
      boolean cached;
      if (full != null) {
        cached = true;
      } else if (request.getSkipCache()) {
        full = computer.compute(prompt);
        cached = false;
      } else {
        RewardCache.Lookup<PromptScore> lookup = lookUp(key, k -> computer.compute(prompt),
            () -> computeAlone(scorer, split, indices, readIds, prompt), Context.current());
        full = lookup.value();
        cached = lookup.cached();
      }
      inRequest.putIfAbsent(key, full);
      int index = i;
      Counter.builder("pin.reward.prompts.scored")
          .description("Prompts scored, by task type and whether the cache answered")
          .tag("type", typeLabel(task.type()))
          .tag("cached", Boolean.toString(cached))
          .register(meters)
          .increment();
      out.add(full.thenApply(s -> finish(s, request, index, cached)));
    }
    computer.flush();
    return out;
  }

  /**
   * The cached score of {@code key}, computed by {@code compute} on a miss. A miss that joins
   * another request's computation still in flight shares it; if that request's caller gives up,
   * its model work is dropped unscored ({@code DynamicBatcher}), and this caller computes the
   * prompt again in its own context, so that its own deadline still governs the work.
   */
  private RewardCache.Lookup<PromptScore> lookUp(
      RewardCacheKey key,
      Function<RewardCacheKey, CompletableFuture<PromptScore>> compute,
      Supplier<CompletableFuture<PromptScore>> computeAgain,
      Context caller) {
    RewardCache.Lookup<PromptScore> lookup = cache.get(key, compute);
    CompletableFuture<PromptScore> shared = lookup.value();
    if (!lookup.cached() || shared.isDone()) {
      return lookup;
    }
    return new RewardCache.Lookup<>(
        shared.exceptionallyCompose(e -> RewardStatuses.unwrap(e) instanceof CancellationException
            ? computeAgain(key, shared, computeAgain, caller)
            : CompletableFuture.failedFuture(e)),
        true);
  }

  /** Runs where the abandoned computation failed (its batcher's thread), in the caller's context. */
  private CompletableFuture<PromptScore> computeAgain(
      RewardCacheKey key,
      CompletableFuture<PromptScore> abandoned,
      Supplier<CompletableFuture<PromptScore>> computeAgain,
      Context caller) {
    cache.remove(key, abandoned);
    Context previous = caller.attach();
    try {
      return lookUp(key, k -> computeAgain.get(), computeAgain, caller).value();
    } finally {
      caller.detach(previous);
    }
  }

  /** One prompt scored on its own: a computer of its own, flushed at once. */
  private static CompletableFuture<PromptScore> computeAlone(
      TaskScorer scorer, Split split, List<Integer> indices, boolean readIds, Prompt prompt) {
    TaskScorer.PromptComputer computer = scorer.computer(split, indices, readIds);
    CompletableFuture<PromptScore> score = computer.compute(prompt);
    computer.flush();
    return score;
  }

  /**
   * Task metrics of prompts on a split (default test).
   *
   * @param request the Evaluate request
   * @return the evaluations, in prompt order
   * @throws TaskValidationException for a bad request (INVALID_ARGUMENT)
   * @throws dev.pin.reward.task.UnknownTaskException for an unknown handle (NOT_FOUND)
   */
  public CompletableFuture<EvaluateResponse> evaluate(EvaluateRequest request) {
    checkRequest(request.getHandle(), request.getPromptsCount());
    RegisteredTask task = registry.require(request.getHandle());
    Split split =
        request.getSplit() == Split.SPLIT_UNSPECIFIED ? Split.SPLIT_TEST : request.getSplit();
    TaskScorer scorer = scorer(task);
    scorer.checkPrompts(request.getPromptsList(), false);
    List<CompletableFuture<PromptEvaluation>> evals =
        scorer.evaluate(request.getPromptsList(), split);
    return CompletableFuture.allOf(evals.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            v -> {
              EvaluateResponse.Builder b = EvaluateResponse.newBuilder();
              for (CompletableFuture<PromptEvaluation> e : evals) {
                b.addEvaluations(e.join());
              }
              return b.build();
            });
  }

  /**
   * The style-transfer task LM's outputs for (prompt, input) pairs, after the cut rules.
   *
   * @param request the Generate request
   * @return the outputs per input
   * @throws TaskValidationException for a bad request or a task that is not style transfer
   * @throws dev.pin.reward.task.UnknownTaskException for an unknown handle (NOT_FOUND)
   */
  public CompletableFuture<GenerateResponse> generate(GenerateRequest request) {
    List<FieldError> errors = new ArrayList<>();
    if (request.getHandle().isBlank()) {
      errors.add(new FieldError("handle", "give the task handle RegisterTask returned"));
    }
    if (request.getInputsCount() == 0) {
      errors.add(new FieldError("inputs", "give at least one sentence to rewrite"));
    }
    if (!errors.isEmpty()) {
      throw new TaskValidationException(errors);
    }
    RegisteredTask task = registry.require(request.getHandle());
    if (!(scorer(task) instanceof StyleTransferTaskScorer style)) {
      throw new TaskValidationException(
          List.of(
              new FieldError(
                  "handle",
                  task.handle()
                      + " is a "
                      + task.type()
                      + " task; Generate needs a style-transfer task")));
    }
    return style.generate(
        request.getPrompt().getText(), request.getInputsList(), request.getGeneration());
  }

  /**
   * CLIP text embeddings, L2-normalised.
   *
   * @param request the EmbedText request
   * @return one embedding per text
   * @throws TaskValidationException for a bad request
   * @throws ModelNotFoundException when the model is not a loaded CLIP (FAILED_PRECONDITION)
   */
  public CompletableFuture<EmbedResponse> embedText(EmbedTextRequest request) {
    List<FieldError> errors = new ArrayList<>();
    checkModel(request.hasModel() ? request.getModel().getName() : "", errors);
    if (request.getTextsCount() == 0) {
      errors.add(new FieldError("texts", "give at least one text"));
    }
    if (!errors.isEmpty()) {
      throw new TaskValidationException(errors);
    }
    ClipModel clip = clipModel(request.getModel());
    List<String> texts = request.getTextsList();
    return CompletableFuture.supplyAsync(() -> embeddings(clip.embedTexts(texts)), scoringPool);
  }

  /**
   * CLIP image embeddings after the model's preprocessing, L2-normalised.
   *
   * @param request the EmbedImage request
   * @return one embedding per image
   * @throws TaskValidationException for a bad request or an undecodable image
   * @throws ModelNotFoundException when the model is not a loaded CLIP (FAILED_PRECONDITION)
   */
  public CompletableFuture<EmbedResponse> embedImage(EmbedImageRequest request) {
    List<FieldError> errors = new ArrayList<>();
    checkModel(request.hasModel() ? request.getModel().getName() : "", errors);
    if (request.getImagesCount() == 0) {
      errors.add(new FieldError("images", "give at least one image"));
    }
    List<BufferedImage> decoded = new ArrayList<>(request.getImagesCount());
    for (int i = 0; i < request.getImagesCount(); i++) {
      try {
        decoded.add(ImageDecoder.decode(request.getImages(i).getData().toByteArray()));
      } catch (IllegalArgumentException e) {
        errors.add(new FieldError("images[" + i + "].data", e.getMessage()));
      }
    }
    if (!errors.isEmpty()) {
      throw new TaskValidationException(errors);
    }
    ClipModel clip = clipModel(request.getModel());
    return CompletableFuture.supplyAsync(
        () -> {
          ClipPreprocessor pre =
              new ClipPreprocessor(clip.imageSize(), clip.imageMean(), clip.imageStd());
          List<float[]> pixels = new ArrayList<>(decoded.size());
          for (BufferedImage img : decoded) {
            pixels.add(pre.preprocess(img));
          }
          return embeddings(clip.embedImages(pixels));
        },
        scoringPool);
  }

  private static void checkModel(String name, List<FieldError> errors) {
    if (name.isBlank()) {
      errors.add(new FieldError("model.name", "name a CLIP model of the model store"));
    }
  }

  private ClipModel clipModel(ModelRef ref) {
    return require(catalog.clip(ref), "model", ref, "a CLIP model");
  }

  /** The model, or FAILED_PRECONDITION naming the field, the model and the role it must serve. */
  private static <T> T require(Optional<T> model, String path, ModelRef ref, String what) {
    return model.orElseThrow(() -> new ModelNotFoundException(path, ref.getName(), what));
  }

  private static EmbedResponse embeddings(float[][] rows) {
    EmbedResponse.Builder b = EmbedResponse.newBuilder();
    for (float[] row : rows) {
      Embedding.Builder e = Embedding.newBuilder();
      for (float v : ClipReward.normalise(row)) {
        e.addValues(v);
      }
      b.addEmbeddings(e);
    }
    return b.build();
  }

  // ---- per task type ----

  /** The task's scorer, made on first use; a task evicted from the registry drops it. */
  private TaskScorer scorer(RegisteredTask task) {
    return scorersByHandle.computeIfAbsent(task.handle(), h -> switch (task.type()) {
      case TASK_TYPE_CLASSIFICATION -> new ClassificationTaskScorer(task, classificationScorer(task));
      case TASK_TYPE_STYLE_TRANSFER ->
          new StyleTransferTaskScorer(task, new TaskScorer.Lazy<>(() -> styleScorer(task)),
              scoringPool);
      case TASK_TYPE_IMAGE_INVERSION ->
          new ImageInversionTaskScorer(task, new TaskScorer.Lazy<>(() -> imageScorer(task)),
              scoringPool);
      case TASK_TYPE_CUSTOM -> new CustomTaskScorer(task, scoringPool);
      default -> throw new IllegalStateException("unknown task type " + task.type());
    });
  }

  /** Classification texts of every task on one task model share that model's batcher. */
  private ClassificationScorer classificationScorer(RegisteredTask task) {
    TaskLanguageModel model = task.taskModel().orElseThrow();
    // By identity: one model name in two precisions is two models.
    BatchedLogits logits = logitsByModel.computeIfAbsent(model.identity(), id ->
        new BatchedLogits(model, config.batching().withName(model.variant().isEmpty()
            ? model.name() : model.name() + "-" + model.variant()), meters));
    return task.classificationScorer(logits);
  }

  private StyleTransferScorer styleScorer(RegisteredTask task) {
    StyleTransferTask s = task.spec().getStyleTransfer();
    String path = "task.style_transfer";
    return new StyleTransferScorer(
        s,
        require(catalog.generator(s.getGenerator()), path + ".generator", s.getGenerator(),
            "a causal LM generator"),
        require(catalog.classifier(s.getStyleClassifier()), path + ".style_classifier",
            s.getStyleClassifier(), "a sequence classifier"),
        require(catalog.embedder(s.getContentModel()), path + ".content_model",
            s.getContentModel(), "a token encoder"),
        s.hasFluencyClassifier() && !s.getFluencyClassifier().getName().isBlank()
            ? require(catalog.classifier(s.getFluencyClassifier()), path + ".fluency_classifier",
                s.getFluencyClassifier(), "a fluency classifier")
            : null);
  }

  /** Embeds the target images on first use (on the scoring pool), then reuses them. */
  private ImageInversionScorer imageScorer(RegisteredTask task) {
    var t = task.spec().getImageInversion();
    return new ImageInversionScorer(
        require(catalog.clip(t.getClip()), "task.image_inversion.clip", t.getClip(),
            "a CLIP model"),
        t.getTargetsList());
  }

  private static PromptScore finish(
      PromptScore full, ScoreRequest request, int index, boolean cached) {
    PromptScore.Builder b =
        full.toBuilder()
            .setRequestId(request.getRequestId())
            .setPromptIndex(index)
            .setCached(cached);
    if (!request.getIncludeDetails()) {
      b.clearClassification().clearStyle();
    }
    return b.build();
  }

  private static void checkRequest(String handle, int prompts) {
    List<FieldError> errors = new ArrayList<>();
    if (handle.isBlank()) {
      errors.add(new FieldError("handle", "give the task handle RegisterTask returned"));
    }
    if (prompts == 0) {
      errors.add(new FieldError("prompts", "give at least one prompt"));
    }
    if (!errors.isEmpty()) {
      throw new TaskValidationException(errors);
    }
  }

  /** Stops the batchers (finishing queued work within their grace) and the scoring pool. */
  @Override
  public void close() {
    logitsByModel.values().forEach(BatchedLogits::close);
    scoringPool.shutdown();
    try {
      if (!scoringPool.awaitTermination(
          config.batching().shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        scoringPool.shutdownNow();
      }
    } catch (InterruptedException e) {
      scoringPool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** A task type as a metric label: "classification", not "TASK_TYPE_CLASSIFICATION". */
  static String typeLabel(dev.pin.v1.TaskType type) {
    return type.name().replaceFirst("^TASK_TYPE_", "").toLowerCase(java.util.Locale.ROOT);
  }
}
