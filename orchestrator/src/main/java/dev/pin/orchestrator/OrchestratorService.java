package dev.pin.orchestrator;

import dev.pin.kit.grpc.FieldErrors;
import dev.pin.models.store.ModelStore;
import dev.pin.kit.grpc.Identity;
import dev.pin.kit.grpc.ServerPaths;
import dev.pin.orchestrator.data.DataFormatException;
import dev.pin.orchestrator.data.DataRoots;
import dev.pin.orchestrator.data.TaskDataLoader;
import dev.pin.orchestrator.loop.Peers;
import dev.pin.orchestrator.loop.RunManager;
import dev.pin.orchestrator.loop.WarmStartPrompt;
import dev.pin.orchestrator.shaping.PerplexityPenalty;
import dev.pin.orchestrator.spec.RunDefaults;
import dev.pin.orchestrator.spec.RunSpecValidator;
import dev.pin.orchestrator.spec.SpecException;
import dev.pin.orchestrator.store.RunPage;
import dev.pin.orchestrator.store.RunStore;
import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.EvaluatePromptResponse;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.ListRunsResponse;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.RegisterRunTaskRequest;
import dev.pin.v1.RegisterRunTaskResponse;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.RunView;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Orchestrator gRPC service, the public API: runs are validated, stored and handed to the
 * {@link RunManager}; everything a caller reads (GetRun, ListRuns, WatchRun's history) comes from
 * the run store, so it survives restarts.
 */
final class OrchestratorService extends OrchestratorGrpc.OrchestratorImplBase {
  private final RunStore store;
  private final RunManager runs;
  private final Peers peers;
  private final DataRoots dataRoots;
  private final ModelStore models;
  /** The server's folders, which replies name by their setting or relative to the data folder. */
  private final ServerPaths serverPaths;
  private final RunReplies replies;
  /** WatchRun streams open now, and how many may be ({@code orchestrator.max-watchers}). */
  private final java.util.concurrent.atomic.AtomicInteger watchers =
      new java.util.concurrent.atomic.AtomicInteger();
  private final int maxWatchers;

  OrchestratorService(RunStore store, RunManager runs, Peers peers, Path dataDir,
      ModelStore models) {
    this(store, runs, peers, DataRoots.unrestricted(dataDir), models);
  }

  OrchestratorService(RunStore store, RunManager runs, Peers peers, DataRoots dataRoots,
      ModelStore models) {
    this(store, runs, peers, dataRoots, models, 256);
  }

  OrchestratorService(RunStore store, RunManager runs, Peers peers, DataRoots dataRoots,
      ModelStore models, int maxWatchers) {
    this.maxWatchers = maxWatchers;
    this.store = store;
    this.runs = runs;
    this.peers = peers;
    this.dataRoots = dataRoots;
    this.models = models;
    Map<Path, String> folders = new LinkedHashMap<>();
    folders.put(models.home(), "<models.home>");
    folders.put(dataRoots.base(), ""); // relative paths resolve against it, as a spec spells them
    this.serverPaths = ServerPaths.of(folders);
    this.replies = new RunReplies(serverPaths);
  }

  /** The folders of this server that replies leave out. */
  ServerPaths serverPaths() {
    return serverPaths;
  }

  private static void runId(FieldErrors errors, String runId) {
    errors.required("run_id", runId);
  }

  private Run requireRun(String runId) {
    return store.getRun(runId).orElseThrow(() -> Status.NOT_FOUND
        .withDescription("no run '" + runId + "' in the run store; ListRuns shows the known runs")
        .asRuntimeException());
  }

  /**
   * The run, for a caller that may {@code action} it: its owner or an admin (everyone, with
   * authentication off); PERMISSION_DENIED otherwise.
   */
  private Run requireRun(String runId, String action) {
    Run run = requireRun(runId);
    Identity.current().requireAccess(run.getOwner(), "run " + runId, action);
    return run;
  }

  @Override
  public void startRun(StartRunRequest request, StreamObserver<Run> response) {
    FieldErrors errors = new FieldErrors();
    errors.check(request.hasSpec(), "spec", "is required");
    errors.throwIfAny();
    boolean pez = RunDefaults.continuous(request.getSpec().getMethod());
    boolean soft = request.getSpec().getMethod() == dev.pin.v1.Method.METHOD_SOFT_PROMPT;
    if (pez && request.getSpec().hasPolicy()) {
      throw Status.INVALID_ARGUMENT.withDescription(soft
          ? "spec.policy: a soft prompt has no policy network; its settings are "
              + "spec.soft_prompt (prompt_length, learning_rate, weight_decay) and its model is "
              + "the task model"
          : "spec.policy: PEZ (§7.1) has no policy "
          + "network; its settings are spec.pez (prompt_length, learning_rate, weight_decay, "
          + "fluency_weight) and its model is the task model").asRuntimeException();
    }
    RunSpec own = RunDefaults.apply(request.getSpec());
    try {
      RunSpecValidator.check(own);
    } catch (SpecException e) {
      throw Status.INVALID_ARGUMENT.withDescription(String.join("; ", e.problems()))
          .asRuntimeException();
    }
    TaskSpec inline;
    try {
      // Read the data now, so a malformed file is the caller's INVALID_ARGUMENT, not a failed run.
      inline = TaskDataLoader.load(own.getTask(), dataRoots);
    } catch (IOException e) {
      throw dataError("spec.", own.getTask(), e);
    }
    RunSpec spec = checkWithServices(own, inline);
    try {
      // Tokenised now, so a prompt that is not T tokens is the caller's INVALID_ARGUMENT; the
      // episode loop tokenises it again (the same way) when it seeds the policy.
      WarmStartPrompt.of(spec, models);
    } catch (SpecException e) {
      throw Status.INVALID_ARGUMENT.withDescription(String.join("; ", e.problems()))
          .asRuntimeException();
    }
    // Capacity, store and start under one lock: a refused run leaves no PENDING record behind.
    String owner = Identity.current().name();
    Run run = runs.createAndStart(() -> store.createRun(spec, provenance(spec), owner));
    response.onNext(replies.run(requireRun(run.getId())));
    response.onCompleted();
  }

  /**
   * INVALID_ARGUMENT for task data that cannot be read: the data field's path ({@code prefix} +
   * {@code task.….dir}), the file and what is wrong with it, where relative paths resolve, and
   * how to check a folder.
   */
  private StatusRuntimeException dataError(String prefix, TaskSpec task, IOException e) {
    StringBuilder d = new StringBuilder(prefix).append(TaskDataLoader.dirField(task)).append(": ");
    if (e instanceof DataRoots.OutsideDataRootsException) {
      return Status.PERMISSION_DENIED.withDescription(d.append(e.getMessage()).toString())
          .asRuntimeException();
    }
    if (e instanceof DataFormatException) {
      d.append(e.getMessage());
    } else {
      // The JDK's NoSuchFileException says only the path; say what it means.
      boolean barePath = e instanceof java.nio.file.NoSuchFileException missing
          && missing.getReason() == null;
      d.append(barePath ? "no such file: " : "").append(e.getMessage());
      // The server's own paths stay out of replies (ServerPaths: the file above is named relative
      // to the data folder).
      d.append(" (relative paths resolve against orchestrator.data-dir)");
    }
    String check = TaskDataLoader.checkCommand(task);
    if (check != null) {
      d.append("; ").append(check).append(" names every missing file or bad line, and")
          .append(" examples/README.md gives the layout and where to get the data");
    }
    return Status.INVALID_ARGUMENT.withDescription(d.toString()).asRuntimeException();
  }

  /** Field paths of the reward service's task errors ({@code task.…}) as the spec's. */
  private static final Pattern TASK_FIELD = Pattern.compile("(^|; )task([.:])");
  /** Field paths of the policy service's config errors ({@code config.…}) as the spec's. */
  private static final Pattern POLICY_FIELD = Pattern.compile("(^|; )config([.:])");

  /**
   * Asks the services that own the policy's and the task's defaults and checks to resolve them,
   * so that a bad spec is the caller's error and not a FAILED run that resuming cannot fix, and
   * returns the spec with their effective parts ({@link RunDefaults#withServiceDefaults}). The
   * policy service resolves the config against the real backbone's manifest (vocabulary size,
   * masked or causal) without creating a policy; the reward service registers the task, checking
   * its models, verbalizers (one token each), template and reward function, and choosing the
   * template of the real task model. A named perplexity-penalty LM must be in the model store
   * (the scorer reads the same store by name). Registration is idempotent by content hash; the
   * run registers the same task again.
   */
  private RunSpec checkWithServices(RunSpec spec, TaskSpec inline) {
    // The scorer reads the penalty's LM from the same store; a blank name is the scorer's own.
    String penaltyModel = spec.getShaping().getPerplexityPenalty().getModel().getName();
    if (PerplexityPenalty.of(spec.getShaping().getPerplexityPenalty()).enabled()
        && !penaltyModel.isBlank()) {
      requireInStore("spec.shaping.perplexity_penalty.model", penaltyModel);
    }
    PolicyConfig policy = null;
    StatusRuntimeException policyError = null;
    if (spec.hasPolicy()) {
      String model = spec.getTask().hasImageInversion() ? "spec.task.image_inversion.clip"
          : "spec.task.classification.task_model";
      java.util.function.UnaryOperator<String> rename =
          spec.getMethod() == dev.pin.v1.Method.METHOD_PEZ ? d -> pezFields(d, model)
              : spec.getMethod() == dev.pin.v1.Method.METHOD_SOFT_PROMPT
                  ? d -> softPromptFields(d, model)
                  : d -> POLICY_FIELD.matcher(d).replaceAll("$1spec.policy$2");
      try {
        policy = asSpecError("policy", rename, "spec.policy", () -> peers.policy()
            .createPolicy(CreatePolicyRequest.newBuilder().setValidateOnly(true)
                .setConfig(RunDefaults.policyConfig(spec))
                .setTask(RunDefaults.policyTask(spec, inline)).build()).getConfig());
      } catch (StatusRuntimeException e) {
        if (!isSpecError(e)) {
          throw e;
        }
        policyError = e;  // the task is checked too, so that every bad field is named at once
      }
    }
    TaskSpec task;
    try {
      task = asSpecError("reward", d -> TASK_FIELD.matcher(d).replaceAll("$1spec.task$2"),
          "spec.task", () -> peers.reward()
          .registerTask(RegisterTaskRequest.newBuilder().setTask(inline).build()).getTask());
    } catch (StatusRuntimeException e) {
      throw policyError != null && isSpecError(e) ? both(policyError, e) : e;
    }
    if (policyError != null) {
      throw policyError;
    }
    return RunDefaults.withServiceDefaults(spec, policy, task);
  }

  private static boolean isSpecError(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    return code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION;
  }

  /** Both services' spec errors in one status: INVALID_ARGUMENT if either is, else theirs. */
  private static StatusRuntimeException both(StatusRuntimeException policy,
      StatusRuntimeException task) {
    Status.Code code = policy.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
        ? Status.Code.INVALID_ARGUMENT : task.getStatus().getCode();
    return Status.fromCode(code).withDescription(policy.getStatus().getDescription() + "; "
        + task.getStatus().getDescription()).asRuntimeException();
  }

  /** Field paths of the policy service's PEZ errors ({@code config.…}, {@code task.…}). */
  private static final Pattern PEZ_FIELD =
      Pattern.compile("(^|; )(config\\.pez\\.|config\\.prompt_length|config\\.backbone"
          + "|config\\.|task\\.)");

  /**
   * A PEZ run's policy config is derived from {@code spec.pez} and the task model, so the policy
   * service's fields are named as the spec's: {@code config.pez.X} and {@code
   * config.prompt_length} as {@code spec.pez.…}, {@code config.backbone} as the task model
   * ({@code model}: the classification's task model or the image inversion's CLIP), {@code
   * task.…} as {@code spec.task.…}.
   */
  private static String pezFields(String description, String model) {
    return PEZ_FIELD.matcher(description).replaceAll(m -> m.group(1) + switch (m.group(2)) {
      case "config.pez." -> "spec.pez.";
      case "config.prompt_length" -> "spec.pez.prompt_length";
      case "config.backbone" -> model;
      case "task." -> "spec.task.";
      default -> "spec.policy.";
    });
  }

  /** Field paths of the policy service's soft-prompt errors ({@code config.…}, {@code task.…}). */
  private static final Pattern SOFT_PROMPT_FIELD =
      Pattern.compile("(^|; )(config\\.soft_prompt\\.|config\\.prompt_length|config\\.backbone"
          + "|config\\.|task\\.)");

  /** As {@link #pezFields}, for a soft-prompt run: {@code config.soft_prompt.X} → spec's. */
  private static String softPromptFields(String description, String model) {
    return SOFT_PROMPT_FIELD.matcher(description).replaceAll(m -> m.group(1)
        + switch (m.group(2)) {
          case "config.soft_prompt." -> "spec.soft_prompt.";
          case "config.prompt_length" -> "spec.soft_prompt.prompt_length";
          case "config.backbone" -> model;
          case "task." -> "spec.task.";
          default -> "spec.policy.";
        });
  }

  /**
   * A service call that checks part of the spec: its INVALID_ARGUMENT and FAILED_PRECONDITION
   * name the spec's fields ({@code rename} rewrites the service's paths to the spec's); other
   * failures say which service was asked.
   */
  private static <T> T asSpecError(String service, java.util.function.UnaryOperator<String> rename,
      String specPath, java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      String description = status.getDescription() == null ? "" : status.getDescription();
      throw switch (status.getCode()) {
        case INVALID_ARGUMENT, FAILED_PRECONDITION -> Status.fromCode(status.getCode())
            .withDescription(rename.apply(description))
            .asRuntimeException();
        default -> Status.fromCode(status.getCode()).withDescription("the " + service
            + " service, asked to check " + specPath + " before the run starts: " + description)
            .asRuntimeException();
      };
    }
  }

  /** FAILED_PRECONDITION naming {@code field} when model {@code name} is not in the store. */
  private void requireInStore(String field, String name) {
    boolean present;
    try {
      present = models.find(name).isPresent();
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription(field + ".name: " + e.getMessage())
          .asRuntimeException();
    }
    if (!present) {
      throw Status.FAILED_PRECONDITION.withDescription(field + ": model '" + name + "' is not in "
          + "the model store" + (dataRoots.confined() ? "" : " at " + models.home())
          + " (models.home); import it with "
          + ModelStore.importHint(name) + ", or name one from pin models list")
          .asRuntimeException();
    }
  }

  /** What produced a run's prompts, so a learned prompt can be traced and reproduced. */
  static Map<String, String> provenance(RunSpec spec) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("method", spec.getMethod().name());
    p.put("seed", Long.toString(spec.getSeed()));
    p.put("policy_backbone", spec.getPolicy().getBackbone().getName());
    TaskSpec task = spec.getTask();
    switch (task.getTaskCase()) {
      case CLASSIFICATION -> p.put("task_model", task.getClassification().getTaskModel().getName());
      case STYLE_TRANSFER -> p.put("task_model", task.getStyleTransfer().getGenerator().getName());
      case IMAGE_INVERSION -> p.put("task_model", task.getImageInversion().getClip().getName());
      default -> { }
    }
    if (spec.getMethod() == dev.pin.v1.Method.METHOD_PEZ && spec.getPez().getFluencyWeight() > 0) {
      // §7.3: always say which LM and convention produced a naturalness number.
      p.put("pez_fluency_nll", "pseudo-log-likelihood of the prompt under the task model "
          + p.get("task_model") + " (masked LM: each token masked in turn, mean over the L "
          + "tokens, between [CLS] and [SEP]); §7.1's causal-LM NLL needs a causal task model");
    }
    if (RunDefaults.continuous(spec.getMethod()) && task.hasImageInversion()) {
      // PEZ's image inversion (§7.1): which model its loss, and so its prompt, came from.
      p.put("pez_loss_model", "the policy service's float32 PyTorch rebuild of the text tower "
          + "of CLIP " + p.get("task_model") + " (the projection spliced in as vectors between "
          + "<|startoftext|> and <|endoftext|>), against the target images embedded once by its "
          + "ONNX vision tower; the run's scores are the reward service's CLIP scores of the "
          + "projection's text");
    } else if (RunDefaults.continuous(spec.getMethod())) {
      // §7.3's habit for every number: which model computed the faithfulness columns.
      p.put("faithfulness_model", "the policy service's float32 PyTorch rebuild of the task "
          + "model " + p.get("task_model") + ": the continuous prompt spliced in as vectors, its "
          + "nearest-token (cosine) projection read as token ids"
          + (spec.getMethod() == dev.pin.v1.Method.METHOD_SOFT_PROMPT ? "; the soft prompt's "
              + "dev and test scores are the continuous prompt's, from the same model" : ""));
    }
    p.put("pin_version", BuildInfo.current().version());
    p.put("pin_commit", BuildInfo.current().commit());
    return p;
  }

  @Override
  public void watchRun(WatchRunRequest request, StreamObserver<RunEvent> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.range("from_sequence", request.getFromSequence(), 0, Long.MAX_VALUE);
    errors.throwIfAny();
    requireRun(request.getRunId(), "watch");
    if (watchers.incrementAndGet() > maxWatchers) {
      watchers.decrementAndGet();
      throw Status.RESOURCE_EXHAUSTED.withDescription("the orchestrator has " + maxWatchers
          + " WatchRun streams open, the limit orchestrator.max-watchers "
          + "(PIN_ORCHESTRATOR_MAX_WATCHERS); retry later or raise it").asRuntimeException();
    }
    // The watcher gives its slot back however it ends (the run's end, the caller gone, a failure).
    new RunWatcher(request.getRunId(), request.getFromSequence(), store, replies::event,
        (ServerCallStreamObserver<RunEvent>) response, watchers::decrementAndGet).start();
  }

  @Override
  public void getRun(GetRunRequest request, StreamObserver<Run> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.throwIfAny();
    response.onNext(replies.run(requireRun(request.getRunId(), "read")));
    response.onCompleted();
  }

  @Override
  public void registerRunTask(RegisterRunTaskRequest request,
      StreamObserver<RegisterRunTaskResponse> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.throwIfAny();
    Run run = requireRun(request.getRunId(), "read");
    TaskSpec inline;
    try {
      // What the run's episode loop registered: its stored (effective) task with the data inline,
      // so the content hash, and with it the handle, is the run's.
      inline = TaskDataLoader.load(run.getSpec().getTask(), dataRoots);
    } catch (DataRoots.OutsideDataRootsException e) {
      throw Status.PERMISSION_DENIED.withDescription("run " + run.getId() + ": "
          + TaskDataLoader.dirField(run.getSpec().getTask()) + ": " + e.getMessage())
          .asRuntimeException();
    } catch (IOException e) {
      // The run was valid when it started: data that is gone now is the server's state, not the
      // caller's argument.
      StatusRuntimeException error = dataError("spec.", run.getSpec().getTask(), e);
      throw Status.FAILED_PRECONDITION.withDescription("run " + run.getId()
          + ": its task data can no longer be read: " + error.getStatus().getDescription())
          .asRuntimeException();
    }
    String handle = peers.reward().registerTask(RegisterTaskRequest.newBuilder().setTask(inline)
        .build()).getHandle();
    response.onNext(RegisterRunTaskResponse.newBuilder().setTaskHandle(handle).build());
    response.onCompleted();
  }

  @Override
  public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> response) {
    FieldErrors errors = new FieldErrors();
    errors.range("page_size", request.getPageSize(), 0, 1000);
    errors.check(request.getViewValue() >= 0 && request.getViewValue() <= 2, "view",
        "must be RUN_VIEW_SUMMARY (the default) or RUN_VIEW_FULL, got %d",
        request.getViewValue());
    errors.throwIfAny();
    RunPage page;
    try {
      // Each identity lists its own runs; admins (and everyone without authentication) all.
      Identity caller = Identity.current();
      page = store.listRuns(request.getPageSize(), request.getPageToken(),
          request.getStatesList(), caller.admin() ? null : caller.name());
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription("page_token: " + e.getMessage())
          .asRuntimeException();
    }
    boolean full = request.getView() == RunView.RUN_VIEW_FULL;
    response.onNext(ListRunsResponse.newBuilder()
        .addAllRuns(page.runs().stream().map(r -> replies.run(full ? r : summary(r))).toList())
        .setNextPageToken(page.nextPageToken() == null ? "" : page.nextPageToken()).build());
    response.onCompleted();
  }

  /** A run without its bulk (RUN_VIEW_SUMMARY): the spec's identity only, the best prompt. */
  static Run summary(Run run) {
    RunSpec spec = run.getSpec();
    Run.Builder b = run.toBuilder().setSpec(RunSpec.newBuilder().setName(spec.getName())
        .setMethod(spec.getMethod()).setBudget(spec.getBudget()));
    if (run.getBestPromptsCount() > 0) {
      // The best prompt without its continuous vectors (PEZ and soft prompts), which are bulk.
      b.clearBestPrompts().addBestPrompts(run.getBestPrompts(0).toBuilder()
          .clearContinuousPrompt());
    }
    return b.build();
  }

  @Override
  public void cancelRun(CancelRunRequest request, StreamObserver<Run> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.throwIfAny();
    Run run = requireRun(request.getRunId(), "cancel");
    if (!runs.cancel(run.getId())) {
      if (run.getState() == RunState.RUN_STATE_COMPLETED
          || run.getState() == RunState.RUN_STATE_CANCELLED) {
        throw Status.FAILED_PRECONDITION.withDescription("run " + run.getId() + " already ended "
            + run.getState()).asRuntimeException();
      }
      store.transition(run.getId(), RunState.RUN_STATE_CANCELLED, "cancelled by request");
    }
    response.onNext(replies.run(requireRun(run.getId())));
    response.onCompleted();
  }

  @Override
  public void resumeRun(ResumeRunRequest request, StreamObserver<Run> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.range("extra_steps", request.getExtraSteps(), 0, 10_000_000);
    errors.throwIfAny();
    Run run = requireRun(request.getRunId(), "resume");
    if (runs.isActive(run.getId())) {
      throw Status.FAILED_PRECONDITION.withDescription("run " + run.getId() + " is "
          + run.getState() + " and still driven here; a run just cancelled stops after its "
          + "current step and checkpoint: resume it once it has").asRuntimeException();
    }
    if (!RunManager.RESUMABLE.contains(run.getState()) && request.getExtraSteps() == 0) {
      throw Status.FAILED_PRECONDITION.withDescription("run " + run.getId() + " is "
          + run.getState() + "; only interrupted, failed or cancelled runs resume (a completed "
          + "one needs extra_steps)").asRuntimeException();
    }
    if (request.getExtraSteps() > 0) {
      long steps = run.getSpec().getBudget().getMaxSteps() + request.getExtraSteps();
      store.updateRun(run.getId(), r -> r.getSpecBuilder().getBudgetBuilder().setMaxSteps(steps));
    }
    runs.resume(run.getId(), "resume requested"
        + (request.getExtraSteps() > 0 ? " with " + request.getExtraSteps() + " extra steps" : ""));
    response.onNext(replies.run(requireRun(run.getId())));
    response.onCompleted();
  }

  @Override
  public void evaluatePrompt(EvaluatePromptRequest request,
      StreamObserver<EvaluatePromptResponse> response) {
    FieldErrors errors = new FieldErrors();
    errors.check(request.getTask().getTaskCase() != TaskSpec.TaskCase.TASK_NOT_SET, "task",
        "set one of classification, style_transfer, image_inversion or custom");
    errors.check(request.getPromptText().length() <= 4096, "prompt_text",
        "must be at most 4096 characters");
    errors.check(request.getSplitValue() >= 0 && request.getSplitValue() <= 3, "split",
        "must be SPLIT_TRAIN, SPLIT_DEV or SPLIT_TEST (default test), got %d",
        request.getSplitValue());
    errors.throwIfAny();
    TaskSpec task = RunDefaults.apply(RunSpec.newBuilder().setTask(request.getTask())
        .setMethod(dev.pin.v1.Method.METHOD_PIN).build()).getTask();
    // The checks StartRun makes on a task, so a task EvaluatePrompt accepts is one a run accepts.
    List<String> problems = RunSpecValidator.validateTask(task);
    if (!problems.isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription(String.join("; ", problems))
          .asRuntimeException();
    }
    TaskSpec inline;
    try {
      inline = TaskDataLoader.load(task, dataRoots);
    } catch (IOException e) {
      throw dataError("", task, e);
    }
    String handle = peers.reward().registerTask(RegisterTaskRequest.newBuilder().setTask(inline)
        .build()).getHandle();
    Prompt prompt = Prompt.newBuilder().setText(request.getPromptText()).build();
    Split split = request.getSplit() == Split.SPLIT_UNSPECIFIED ? Split.SPLIT_TEST
        : request.getSplit();
    PromptEvaluation eval = peers.reward().evaluate(EvaluateRequest.newBuilder()
        .setHandle(handle).setSplit(split).addPrompts(prompt).build()).getEvaluations(0);
    double score = switch (task.getTaskCase()) {
      case STYLE_TRANSFER -> eval.getJScore();
      case IMAGE_INVERSION -> eval.getClipScore();
      case CUSTOM -> eval.getReward();
      default -> eval.getAccuracy();
    };
    ScoredPrompt.Builder result = ScoredPrompt.newBuilder().setPrompt(prompt).setTestScore(score)
        .setTested(split == Split.SPLIT_TEST);
    if (request.getWithNaturalness() && !prompt.getText().isBlank()) {
      try {
        result.setNaturalness(peers.scorer().naturalness(NaturalnessRequest.newBuilder()
            .addPrompts(prompt).build()).getResults(0));
      } catch (StatusRuntimeException e) {
        throw Status.fromCode(e.getStatus().getCode()).withDescription("naturalness: "
            + e.getStatus().getDescription()).asRuntimeException();
      }
    }
    response.onNext(EvaluatePromptResponse.newBuilder().setResult(result).setScore(score)
        .setExamples(eval.getExamples()).build());
    response.onCompleted();
  }
}
