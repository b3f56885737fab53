package dev.pin.policy;

import ai.djl.engine.Engine;
import dev.pin.kit.grpc.FieldErrors;
import dev.pin.kit.grpc.Identity;
import dev.pin.kit.server.Metrics;
import dev.pin.models.image.ClipPreprocessor;
import dev.pin.models.image.ImageDecoder;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.tokenizer.ClipTokenizer;
import dev.pin.policy.algorithm.LossDiagnostics;
import dev.pin.policy.algorithm.Pez;
import dev.pin.policy.algorithm.PezClip;
import dev.pin.policy.algorithm.PezHyperparameters;
import dev.pin.policy.algorithm.PezTask;
import dev.pin.policy.algorithm.PolicyCheckpoint;
import dev.pin.policy.algorithm.PolicyHyperparameters;
import dev.pin.policy.algorithm.PromptPolicy;
import dev.pin.policy.algorithm.RewardedTokens;
import dev.pin.policy.algorithm.SampleBatch;
import dev.pin.policy.algorithm.UpdateResult;
import dev.pin.policy.ort.OrtBackbone;
import dev.pin.v1.CheckpointRef;
import dev.pin.v1.ComputeLossRequest;
import dev.pin.v1.ComputeLossResponse;
import dev.pin.v1.ContinuousPrompt;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.DecodeMode;
import dev.pin.v1.DropPolicyRequest;
import dev.pin.v1.DropPolicyResponse;
import dev.pin.v1.FloatRow;
import dev.pin.v1.GetPolicyRequest;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.PolicyInfo;
import dev.pin.v1.PolicySessionRequest;
import dev.pin.v1.PolicySessionResponse;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptFaithfulness;
import dev.pin.v1.QTrajectory;
import dev.pin.v1.RewardedPrompt;
import dev.pin.v1.SampleRequest;
import dev.pin.v1.SampleResponse;
import dev.pin.v1.SampledPrompt;
import dev.pin.v1.SaveCheckpointRequest;
import dev.pin.v1.ScoreContinuousPromptRequest;
import dev.pin.v1.ScoreContinuousPromptResponse;
import dev.pin.v1.Split;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.TaskType;
import dev.pin.v1.UpdateRequest;
import dev.pin.v1.UpdateResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The Policy gRPC service: one {@link PromptPolicy} per run on a shared frozen backbone. Sample and
 * Update run on the handler executor (they block on the backbone and on PyTorch); every request is
 * validated first and every failure becomes a status that says what to fix.
 */
final class PolicyService extends PolicyGrpc.PolicyImplBase {
  private static final String CONFIG_FILE = "config.pb";
  /** The identity whose policy a checkpoint holds; only it or an admin may load it. */
  private static final String OWNER_FILE = "owner";
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(
      PolicyService.class);
  private final PolicySettings settings;
  private final Backbones backbones;
  private final PolicyRegistry policies;
  private final Timer sampleTime;
  private final Timer updateTime;
  private final Counter updates;

  PolicyService(PolicySettings settings, Backbones backbones, PolicyRegistry policies,
      MeterRegistry registry) {
    this.settings = settings;
    this.backbones = backbones;
    this.policies = policies;
    // Histograms with service-kit's buckets, as every duration of the ensemble, so that one
    // PromQL histogram_quantile works on all of them.
    this.sampleTime = Metrics.latencyBuckets(Timer.builder("pin.train.sample.duration")
        .description("Time to sample one batch of prompts")).register(registry);
    this.updateTime = Metrics.latencyBuckets(Timer.builder("pin.train.update.duration")
        .description("Time of one Update call (replay insert and gradient step)"))
        .register(registry);
    this.updates = Counter.builder("pin.train.gradient.steps")
        .description("Gradient steps taken by all policies").register(registry);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  @Override
  public void createPolicy(CreatePolicyRequest request, StreamObserver<PolicyInfo> response) {
    PolicyRequests.create(request);
    PolicyConfig effective = effective(request.getConfig());
    if (PezHyperparameters.continuous(effective) && imageInversion(effective)) {
      pezTargets(request.getTask(), effective); // decoded, not embedded: no weights needed
    } else if (PezHyperparameters.continuous(effective)) {
      // The task's checks need its tokenizer only, not the weights.
      String model = effective.getBackbone().getName();
      pezTask(request.getTask(), effective, backbones.tokenizer(model),
          backbones.whiteBoxManifest("config.backbone", model, method(effective)),
          Integer.MAX_VALUE);
    }
    if (request.getValidateOnly()) {
      reply(response, PolicyInfo.newBuilder().setRunId(request.getRunId()).setConfig(effective)
          .setDevice(effective.getDevice()).build());
      return;
    }
    PolicyRegistry.Entry entry = build(request.getRunId(), effective, request.getTask());
    try {
      policies.add(entry, false);
    } catch (RuntimeException e) {
      entry.policy().close();
      throw e;
    }
    reply(response, info(entry));
  }

  /**
   * The policy under {@code runId} for the current caller: NOT_FOUND when there is none,
   * PERMISSION_DENIED when it belongs to another identity (only its owner or an admin may {@code
   * action} it).
   */
  private PolicyRegistry.Entry access(String runId, String action) {
    PolicyRegistry.Entry entry = policies.get(runId);
    Identity.current().requireAccess(entry.owner(), "the policy of run '" + runId + "'", action);
    return entry;
  }

  /**
   * The effective config of a request, checked: the §8 defaults filled from the backbone's
   * manifest (its vocabulary sizes the LM filter, §4.2) and the service's device. This service
   * owns the policy's defaults and checks; INVALID_ARGUMENT names each bad field under
   * {@code config}.
   */
  private PolicyConfig effective(PolicyConfig requested) {
    if (PezHyperparameters.continuous(requested)) {
      return effectivePez(requested);
    }
    // The ranges do not depend on the backbone (only k's default does, and it is always in
    // range), so a bad field is reported even when the model is missing too.
    FieldErrors errors = new FieldErrors();
    PolicyRequests.effective(errors, "config", PolicyHyperparameters.effective(requested, 0));
    errors.throwIfAny();
    ModelManifest backbone = backbones.manifest("config.backbone",
        requested.getBackbone().getName());
    PolicyDevice device = PolicyDevice.resolve(
        requested.getDevice().isEmpty() ? settings.device() : requested.getDevice(),
        Engine.getEngine("PyTorch").getGpuCount());
    return PolicyHyperparameters.effective(requested, backbone.vocabSize()).toBuilder()
        .setDevice(device.name()).build();
  }

  /**
   * The effective config of a PEZ or soft-prompt request (§7.1), checked: §7.1's defaults
   * filled, the task model (the backbone) one this service can differentiate through.
   */
  private PolicyConfig effectivePez(PolicyConfig requested) {
    FieldErrors errors = new FieldErrors();
    PolicyConfig effective = PezHyperparameters.effective(requested);
    PolicyRequests.effectivePez(errors, "config", requested, effective);
    errors.throwIfAny();
    if (imageInversion(requested)) {
      if (effective.hasSoftPrompt()) {
        throw new FieldErrors().add("config.task_type", "a soft prompt (prompt tuning) trains "
            + "few-shot classification only: its scores are its continuous prompt's, which this "
            + "service computes on classification examples (ScoreContinuousPrompt), and an image "
            + "inversion's reward reads a prompt as text; use PEZ (§7.1), whose projected "
            + "prompt the reward service scores").toException();
      }
      errors.check(effective.getPez().getFluencyWeight() == 0, "config.pez.fluency_weight",
          "must be 0 for image inversion: §7.1's fluency term is the prompt's NLL under a "
          + "language model, and CLIP's text tower is none (no LM here shares CLIP's "
          + "vocabulary), got %s", effective.getPez().getFluencyWeight());
      errors.throwIfAny();
      backbones.clipManifest("config.backbone", requested.getBackbone().getName(),
          method(effective));
    } else {
      backbones.whiteBoxManifest("config.backbone", requested.getBackbone().getName(),
          method(effective));
    }
    PolicyDevice device = PolicyDevice.resolve(
        requested.getDevice().isEmpty() ? settings.device() : requested.getDevice(),
        Engine.getEngine("PyTorch").getGpuCount());
    return effective.toBuilder().setDevice(device.name()).build();
  }

  /** Whether {@code config} is for image inversion (PEZ's CLIP variant when continuous). */
  private static boolean imageInversion(PolicyConfig config) {
    return config.getTaskType() == TaskType.TASK_TYPE_IMAGE_INVERSION;
  }

  /**
   * The target images of PEZ's image inversion (§7.1), decoded; INVALID_ARGUMENT naming the
   * field ({@code task.…}) when PEZ cannot train on them. The service embeds them itself with
   * the CLIP's ONNX vision tower and the reward service's preprocessing ({@code
   * dev.pin.models.image}), rather than taking embeddings from the caller: CreatePolicy carries
   * the task's training data as for classification, a client needs no reward service to create
   * a policy, and the loss's targets come from the very model the backbone names.
   */
  private static List<BufferedImage> pezTargets(TaskSpec task,
      PolicyConfig effective) {
    if (!task.hasImageInversion()) {
      throw new FieldErrors().add("task", "PEZ's image inversion needs the task it trains on "
          + "(CreatePolicyRequest.task.image_inversion, with its target images inline), got "
          + (task.getTaskCase() == TaskSpec.TaskCase.TASK_NOT_SET ? "none"
              : task.getTaskCase().name().toLowerCase(java.util.Locale.ROOT))).toException();
    }
    ImageInversionTask t = task.getImageInversion();
    if (!t.getClip().getName().equals(effective.getBackbone().getName())) {
      throw new FieldErrors().add("task.image_inversion.clip", "PEZ differentiates through the "
          + "CLIP itself, so it must be config.backbone '" + effective.getBackbone().getName()
          + "', got '" + t.getClip().getName() + "'").toException();
    }
    if (t.getTargetsCount() == 0) {
      throw new FieldErrors().add("task.image_inversion.targets", "PEZ trains on the target "
          + "images; none were given inline").toException();
    }
    List<BufferedImage> images = new ArrayList<>(t.getTargetsCount());
    for (int i = 0; i < t.getTargetsCount(); i++) {
      try {
        images.add(ImageDecoder.decode(t.getTargets(i).getData().toByteArray()));
      } catch (IllegalArgumentException e) {
        throw new FieldErrors().add("task.image_inversion.targets[" + i + "].data",
            e.getMessage()).toException();
      }
    }
    return images;
  }

  /** The targets' CLIP image embeddings (unnormalised), from the ONNX vision tower. */
  private static float[][] targetEmbeddings(Backbones.ClipBox box,
      List<BufferedImage> images) {
    ModelManifest.ImagePreprocessing p = box.encoder().imagePreprocessing();
    ClipPreprocessor pre = new ClipPreprocessor(p.imageSize(), p.imageMean(), p.imageStd());
    try {
      return box.encoder().embedPixels(images.stream().map(pre::preprocess).toList());
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("the CLIP vision tower failed on the targets: "
          + e.getMessage()).withCause(e).asRuntimeException();
    }
  }

  /** "PEZ (§7.1)" or "a soft prompt", for messages about a continuous-prompt config. */
  private static String method(PolicyConfig effective) {
    return effective.hasSoftPrompt() ? "a soft prompt (prompt tuning)" : "PEZ (§7.1)";
  }

  /**
   * The training examples of PEZ's (or a soft prompt's) task split around its L prompt slots;
   * INVALID_ARGUMENT naming the field ({@code task.…}) when PEZ cannot train on it.
   */
  private static PezTask pezTask(TaskSpec task, PolicyConfig effective,
      dev.pin.models.tokenizer.TextTokenizer tokenizer, dev.pin.models.store.ModelManifest manifest,
      int maxTokens) {
    String name = effective.hasSoftPrompt() ? "a soft prompt" : "PEZ";
    if (!task.hasClassification()) {
      throw new FieldErrors().add("task", (effective.hasSoftPrompt() ? "A soft prompt" : "PEZ")
          + " needs the few-shot classification task it trains "
          + "on (CreatePolicyRequest.task, with its training examples inline), got "
          + (task.getTaskCase() == TaskSpec.TaskCase.TASK_NOT_SET ? "none"
              : task.getTaskCase().name().toLowerCase(java.util.Locale.ROOT))).toException();
    }
    String model = task.getClassification().getTaskModel().getName();
    if (!model.equals(effective.getBackbone().getName())) {
      throw new FieldErrors().add("task.classification.task_model", name + " differentiates "
          + "through the task model itself, so it must be config.backbone '"
          + effective.getBackbone().getName() + "', got '" + model + "'").toException();
    }
    try {
      return PezTask.of(task.getClassification(), tokenizer, manifest,
          effective.getPromptLength(), maxTokens);
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
  }

  /** Builds (but does not register) a run's policy from its effective config. */
  private PolicyRegistry.Entry build(String runId, PolicyConfig effective, TaskSpec task) {
    PolicyDevice device = PolicyDevice.resolve(effective.getDevice(),
        Engine.getEngine("PyTorch").getGpuCount());
    if (PezHyperparameters.continuous(effective) && imageInversion(effective)) {
      List<BufferedImage> images = pezTargets(task, effective);
      Backbones.ClipBox box = backbones.clip(effective.getBackbone().getName(), device);
      ClipTokenizer tokenizer = box.encoder().tokenizer();
      PezClip pez;
      try {
        pez = new PezClip(PezHyperparameters.fromProto(effective, effective.getTaskType()),
            box.text(), targetEmbeddings(box, images), tokenizer.startId(), tokenizer.endId(),
            box.specialIds(), box.manager());
      } catch (IllegalArgumentException e) {
        throw Status.INVALID_ARGUMENT.withDescription("config.pez.prompt_length: "
            + e.getMessage()).asRuntimeException();
      }
      return entry(runId, effective, pez, new PolicyRegistry.Spelling(
          id -> tokenizer.decode(new int[] {id}), tokenizer::decode));
    }
    if (PezHyperparameters.continuous(effective)) {
      Backbones.WhiteBox box = backbones.whiteBox(effective.getBackbone().getName(), device);
      PezTask examples = pezTask(task, effective, box.tokenizer(), box.manifest(),
          box.lm().maxInputTokens());
      Pez pez = new Pez(PezHyperparameters.fromProto(effective, effective.getTaskType()),
          box.lm(), examples, box.specialIds(), box.manager());
      return entry(runId, effective, pez, PolicyRegistry.Spelling.of(box.tokenizer()));
    }
    PolicyHyperparameters hp = PolicyHyperparameters.fromProto(effective, effective.getTaskType());
    OrtBackbone backbone = backbones.get(effective.getBackbone().getName(),
        effective.getMaskedHead(), device);
    PromptPolicy policy = PromptPolicy.create(hp, backbone, device.device());
    return entry(runId, effective, policy, PolicyRegistry.Spelling.of(backbone));
  }

  /**
   * A policy as the registry holds it. A run's policy: the orchestrator (an admin) names the run's
   * owner; anything else belongs to its caller and has no run behind it.
   */
  private static PolicyRegistry.Entry entry(String runId, PolicyConfig effective,
      PromptPolicy policy, PolicyRegistry.Spelling spelling) {
    var runOwner = Identity.runOwner();
    return new PolicyRegistry.Entry(runId, effective, policy, spelling,
        runOwner.orElse(Identity.current().name()), runOwner.isEmpty());
  }

  @Override
  public void dropPolicy(DropPolicyRequest request, StreamObserver<DropPolicyResponse> response) {
    FieldErrors errors = new FieldErrors();
    PolicyRequests.runId(errors, "run_id", request.getRunId());
    errors.throwIfAny();
    access(request.getRunId(), "drop");
    if (!policies.drop(request.getRunId())) {
      policies.get(request.getRunId()); // throws NOT_FOUND with the standard message
    }
    reply(response, DropPolicyResponse.newBuilder().setDropped(true).build());
  }

  @Override
  public void getPolicy(GetPolicyRequest request, StreamObserver<PolicyInfo> response) {
    FieldErrors errors = new FieldErrors();
    PolicyRequests.runId(errors, "run_id", request.getRunId());
    errors.throwIfAny();
    reply(response, info(access(request.getRunId(), "read")));
  }

  private static PolicyInfo info(PolicyRegistry.Entry entry) {
    PromptPolicy p = entry.policy();
    return PolicyInfo.newBuilder()
        .setRunId(entry.runId())
        .setConfig(entry.config())
        .setStep(p.step())
        .setReplaySize(p.replaySize())
        .setActionSpaceSize(p.actionSpaceSize())
        .setDevice(entry.config().getDevice())
        .setTrainableParameters(p.trainableParameters())
        .build();
  }

  // ---- the training step -----------------------------------------------------------------------

  @Override
  public void sample(SampleRequest request, StreamObserver<SampleResponse> response) {
    reply(response, sample(request));
  }

  private SampleResponse sample(SampleRequest request) {
    PolicyRequests.sample(request);
    PolicyRegistry.Entry entry = access(request.getRunId(), "sample from");
    boolean greedy = request.getMode() == DecodeMode.DECODE_MODE_GREEDY;
    SampleBatch batch = sampleTime.record(
        () -> entry.policy().sample(request.getBatchSize(), greedy));
    PolicyRegistry.Spelling spelling = entry.spelling();
    SampleResponse.Builder out = SampleResponse.newBuilder()
        .setMeanEntropy((float) batch.meanEntropy())
        .setMeanSupportSize((float) batch.meanSupportSize())
        .setMeanQSpread((float) batch.meanQSpread());
    for (SampleBatch.SampledPrompt p : batch.prompts()) {
      SampledPrompt.Builder sp = SampledPrompt.newBuilder()
          .setSampleId(p.sampleId())
          .setPrompt(prompt(spelling, p.tokenIds()));
      for (float q : p.qValues()) {
        sp.addQValues(q);
      }
      for (float lp : p.logProbs()) {
        sp.addLogProbs(lp);
      }
      out.addPrompts(sp);
    }
    return out.build();
  }

  /** Token ids with their vocabulary spellings and the decoded text. */
  static Prompt prompt(PolicyRegistry.Spelling spelling, int[] ids) {
    Prompt.Builder prompt = Prompt.newBuilder().setText(spelling.decode().apply(ids));
    for (int id : ids) {
      prompt.addTokenIds(id).addTokens(spelling.token().apply(id));
    }
    return prompt.build();
  }

  @Override
  public void update(UpdateRequest request, StreamObserver<UpdateResponse> response) {
    reply(response, update(request));
  }

  private UpdateResponse update(UpdateRequest request) {
    PolicyRequests.update(request);
    PolicyRegistry.Entry entry = access(request.getRunId(), "update");
    List<RewardedTokens> batch = new ArrayList<>(request.getPromptsCount());
    for (RewardedPrompt p : request.getPromptsList()) {
      int[] ids = p.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray();
      batch.add(new RewardedTokens(p.getSampleId(), ids.length == 0 ? null : ids, p.getReward()));
    }
    UpdateResult result;
    try {
      result = updateTime.record(() -> entry.policy().update(batch));
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription("prompts: " + e.getMessage())
          .asRuntimeException();
    }
    if (result.updated()) {
      updates.increment();
    }
    return UpdateResponse.newBuilder()
        .setStep(result.step())
        .setUpdated(result.updated())
        .setLoss((float) result.loss())
        .setGradNorm((float) result.gradNorm())
        .setMeanQ((float) result.meanQ())
        .setMeanV((float) result.meanV())
        .setReplaySize(result.replaySize())
        .setTrainAccuracy(Double.isNaN(result.trainAccuracy()) ? 0
            : (float) result.trainAccuracy())
        .build();
  }

  // ---- faithfulness of a continuous prompt's projection (§7.2) ----------------------------------

  @Override
  public void scoreContinuousPrompt(ScoreContinuousPromptRequest request,
      StreamObserver<ScoreContinuousPromptResponse> response) {
    PolicyRequests.scoreContinuous(request);
    PolicyRegistry.Entry entry = access(request.getRunId(), "score");
    if (entry.policy() instanceof PezClip) {
      throw Status.FAILED_PRECONDITION.withDescription("run_id: run '" + request.getRunId()
          + "' is PEZ's image inversion, whose projected prompt the reward service scores (its "
          + "CLIP score, §6.3); ScoreContinuousPrompt scores a continuous prompt on "
          + "classification examples").asRuntimeException();
    }
    if (!(entry.policy() instanceof Pez pez)) {
      throw Status.FAILED_PRECONDITION.withDescription("run_id: run '" + request.getRunId()
          + "' has an RL policy; ScoreContinuousPrompt scores the continuous prompt of a PEZ or "
          + "soft-prompt run").asRuntimeException();
    }
    float[] rows = null;
    if (request.hasPrompt()) {
      ContinuousPrompt given = request.getPrompt();
      int l = pez.settings().promptLength();
      if (given.getRows() != l || given.getWidth() != pez.width()) {
        throw new FieldErrors().add("prompt", "must be this run's L × d = " + l + " × "
            + pez.width() + ", got " + given.getRows() + " × " + given.getWidth()).toException();
      }
      rows = new float[given.getValuesCount()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = given.getValues(i);
      }
    }
    Pez.Faithfulness f;
    try {
      PezTask examples = pez.task().reader().read(request.getExamplesList(), "examples");
      f = pez.score(examples, rows);
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription(e.getMessage().startsWith("examples")
          ? e.getMessage() : "prompt: " + e.getMessage()).asRuntimeException();
    }
    ContinuousPrompt.Builder scored = ContinuousPrompt.newBuilder()
        .setRows(pez.settings().promptLength()).setWidth(pez.width());
    for (float v : f.prompt()) {
      scored.addValues(v);
    }
    reply(response, ScoreContinuousPromptResponse.newBuilder()
        .setPrompt(scored)
        .setProjection(prompt(entry.spelling(), f.projection()))
        .setFaithfulness(PromptFaithfulness.newBuilder()
            .setSplit(request.getSplit() == Split.SPLIT_UNSPECIFIED ? Split.SPLIT_DEV
                : request.getSplit())
            .setExamples(f.examples())
            .setContinuousScore(f.continuousScore())
            .setProjectionScore(f.projectionScore())
            .setAgreement(f.agreement())
            .setContinuousLoss(f.continuousLoss())
            .setProjectionLoss(f.projectionLoss())
            .setMeanRowCosine(f.meanRowCosine()))
        .build());
  }

  @Override
  public StreamObserver<PolicySessionRequest> session(
      StreamObserver<PolicySessionResponse> response) {
    return new StreamObserver<>() {
      private boolean failed;

      @Override
      public void onNext(PolicySessionRequest request) {
        if (failed) {
          return;
        }
        try {
          PolicySessionResponse.Builder out =
              PolicySessionResponse.newBuilder().setRequestId(request.getRequestId());
          switch (request.getRequestCase()) {
            case SAMPLE -> out.setSample(sample(request.getSample()));
            case UPDATE -> out.setUpdate(update(request.getUpdate()));
            default -> throw new FieldErrors().add("request",
                "set sample or update (request_id " + request.getRequestId() + ")").toException();
          }
          response.onNext(out.build());
        } catch (RuntimeException e) {
          failed = true;
          response.onError(e instanceof StatusRuntimeException ? e
              : Status.INTERNAL.withDescription("session request " + request.getRequestId()
                  + " failed: " + e).withCause(e).asRuntimeException());
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
      }

      @Override
      public void onCompleted() {
        if (!failed) {
          response.onCompleted();
        }
      }
    };
  }

  // ---- checkpoints -----------------------------------------------------------------------------

  /**
   * Each checkpoint is a directory {@code <checkpoint-dir>/<run>/step-<n>/} holding the policy
   * ({@link PolicyCheckpoint}) and the config it was built from, so a load can refuse a mismatch.
   */
  @Override
  public void saveCheckpoint(SaveCheckpointRequest request, StreamObserver<CheckpointRef> response) {
    FieldErrors errors = new FieldErrors();
    PolicyRequests.runId(errors, "run_id", request.getRunId());
    errors.check(request.getEpisodeStep() >= 0, "episode_step",
        "must not be negative (0 = name the checkpoint by the policy's gradient step), got %d",
        request.getEpisodeStep());
    errors.throwIfAny();
    PolicyRegistry.Entry entry = access(request.getRunId(), "checkpoint");
    long folderStep = request.getEpisodeStep() > 0 ? request.getEpisodeStep()
        : entry.policy().step();
    try {
      Path dir = settings.checkpointDir().resolve(request.getRunId())
          .resolve(String.format("step-%09d", folderStep));
      PolicyCheckpoint.Written written = PolicyCheckpoint.save(entry.policy(), dir);
      Files.write(dir.resolve(CONFIG_FILE), entry.config().toByteArray());
      Files.writeString(dir.resolve(OWNER_FILE), entry.owner());
      pruneCheckpoints(dir.getParent(), dir);
      reply(response, CheckpointRef.newBuilder()
          .setRunId(request.getRunId())
          .setUri(checkpointUri(dir))
          .setStep(written.step())
          .setSha256(written.sha256())
          .setSizeBytes(written.sizeBytes())
          .setWriteTime(com.google.protobuf.Duration.newBuilder()
              .setSeconds(written.writeTime().getSeconds()).setNanos(written.writeTime().getNano()))
          .build());
    } catch (IOException e) {
      // The folder is the server's business: logged here, not told to the caller.
      log.warn("cannot write a checkpoint of run {} under {}", request.getRunId(),
          settings.checkpointDir(), e);
      throw Status.UNAVAILABLE.withDescription("cannot write the checkpoint ("
          + e.getClass().getSimpleName() + "); the operator should check policy.checkpoint-dir "
          + "(free space, permissions)").withCause(e).asRuntimeException();
    }
  }

  /**
   * Keeps the newest {@code policy.keep-checkpoints} checkpoint folders of a run (by step, which
   * their zero-padded names sort by) and deletes the rest; {@code kept} always stays. A run
   * resumes from its newest, and each folder can hold a replay buffer of hundreds of megabytes.
   */
  private void pruneCheckpoints(Path runDir, Path kept) throws IOException {
    int keep = settings.keepCheckpoints();
    if (keep <= 0) {
      return;
    }
    List<Path> folders;
    try (var list = Files.list(runDir)) {
      folders = list.filter(p -> p.getFileName().toString().startsWith("step-")
          && Files.isDirectory(p)).sorted(Comparator.reverseOrder()).toList();
    }
    for (Path old : folders.subList(Math.min(keep, folders.size()), folders.size())) {
      if (!old.equals(kept)) {
        deleteRecursively(old);
      }
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The scheme of the checkpoint URIs SaveCheckpoint returns: {@code checkpoint:RUN/step-N}. */
  static final String CHECKPOINT_SCHEME = "checkpoint:";

  /**
   * How a checkpoint folder is named to callers: relative to {@code policy.checkpoint-dir}, which
   * is the server's business ({@code checkpoint:run-1/step-000000004}).
   */
  private String checkpointUri(Path dir) {
    Path relative = settings.checkpointDir().toAbsolutePath().normalize()
        .relativize(dir.toAbsolutePath().normalize());
    return CHECKPOINT_SCHEME + relative.toString().replace(java.io.File.separatorChar, '/');
  }

  /**
   * The folder a checkpoint URI names: {@code checkpoint:RUN/step-N} (what SaveCheckpoint returns)
   * relative to the checkpoint folder, or a {@code file:} URI (what it returned before, still in
   * the run stores); either must lie inside the checkpoint folder.
   */
  private Path checkpointDir(String uri) {
    Path dir;
    if (uri.startsWith(CHECKPOINT_SCHEME)) {
      String relative = uri.substring(CHECKPOINT_SCHEME.length());
      Path p;
      try {
        p = Path.of(relative);
      } catch (java.nio.file.InvalidPathException e) {
        p = null;
      }
      if (p == null || relative.isEmpty() || p.isAbsolute() || relative.contains("\\")) {
        throw new FieldErrors().add("checkpoint.uri", "must be checkpoint:RUN/step-N as "
            + "SaveCheckpoint returned it, got '" + uri + "'").toException();
      }
      dir = settings.checkpointDir().resolve(p);
    } else {
      try {
        dir = Path.of(URI.create(uri));
      } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
        throw new FieldErrors().add("checkpoint.uri", "must be the URI SaveCheckpoint returned "
            + "(checkpoint:RUN/step-N), got '" + uri + "'").toException();
      }
    }
    return insideCheckpointDir(dir);
  }

  @Override
  public void loadCheckpoint(LoadCheckpointRequest request, StreamObserver<PolicyInfo> response) {
    PolicyRequests.load(request);
    Path dir = checkpointDir(request.getCheckpoint().getUri());
    // Named as SaveCheckpoint names it, also when the caller passed an old file: URI.
    String uri = checkpointUri(dir);
    Path file = dir.resolve(PolicyCheckpoint.FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw Status.NOT_FOUND.withDescription("checkpoint " + uri + " does not exist (was "
          + "policy.checkpoint-dir moved or the volume lost?)").asRuntimeException();
    }
    Identity caller = Identity.current();
    caller.requireAccess(checkpointOwner(dir), "checkpoint " + uri, "load");
    PolicyRegistry.Entry current = policies.peek(request.getRunId());
    if (current != null) {
      caller.requireAccess(current.owner(), "the policy of run '" + request.getRunId() + "'",
          "replace");
    }
    String expected = request.getCheckpoint().getSha256();
    PolicyRegistry.Entry entry = build(request.getRunId(), effective(request.getConfig()),
        request.getTask());
    try {
      if (!expected.isEmpty() && !expected.equalsIgnoreCase(sha256(file))) {
        throw Status.DATA_LOSS.withDescription("checkpoint " + uri + " does not match its "
            + "SHA-256 " + expected + "; it was modified or corrupted").asRuntimeException();
      }
      Path savedConfig = dir.resolve(CONFIG_FILE);
      if (Files.isRegularFile(savedConfig)) {
        PolicyConfig saved = PolicyConfig.parseFrom(Files.readAllBytes(savedConfig));
        if (!saved.toBuilder().clearDevice().build()
            .equals(entry.config().toBuilder().clearDevice().build())) {
          throw new FieldErrors().add("config", "does not match the checkpoint's configuration "
              + "(saved: " + saved.toString().replace('\n', ' ') + ")").toException();
        }
      }
      PolicyCheckpoint.load(entry.policy(), dir);
    } catch (StatusRuntimeException e) {
      entry.policy().close();
      throw e;
    } catch (IOException | RuntimeException e) {
      entry.policy().close();
      log.warn("cannot restore checkpoint {}", file, e);
      throw Status.DATA_LOSS.withDescription("cannot restore checkpoint " + uri + " ("
          + e.getClass().getSimpleName() + ")").withCause(e).asRuntimeException();
    }
    try {
      policies.add(entry, true);
    } catch (RuntimeException e) {
      entry.policy().close();
      throw e;
    }
    reply(response, info(entry));
  }

  /**
   * The checkpoint folder if it lies inside {@code policy.checkpoint-dir} (where SaveCheckpoint
   * writes), symbolic links resolved; PERMISSION_DENIED otherwise, decided before anything outside
   * is touched, so the reply tells nothing of what exists there.
   */
  private Path insideCheckpointDir(Path dir) {
    Path root = settings.checkpointDir().toAbsolutePath().normalize();
    Path target = dir.toAbsolutePath().normalize();
    boolean inside = target.startsWith(root) && !target.equals(root);
    if (inside && Files.exists(target)) {
      try {
        inside = target.toRealPath().startsWith(root.toRealPath());
      } catch (IOException e) {
        inside = false;
      }
    }
    if (!inside) {
      throw Status.PERMISSION_DENIED.withDescription("checkpoint.uri: this policy service loads "
          + "checkpoints only from its own checkpoint folder (policy.checkpoint-dir), where "
          + "SaveCheckpoint writes them; pass a CheckpointRef that SaveCheckpoint returned")
          .asRuntimeException();
    }
    return target;
  }

  /** Who the checkpoint's policy belonged to ("" when it was saved without one). */
  private static String checkpointOwner(Path dir) {
    try {
      Path owner = dir.resolve(OWNER_FILE);
      return Files.isRegularFile(owner) ? Files.readString(owner).strip() : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256())) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- diagnostics -----------------------------------------------------------------------------

  @Override
  public void computeLoss(ComputeLossRequest request,
      StreamObserver<ComputeLossResponse> response) {
    PolicyRequests.computeLoss(request);
    FieldErrors errors = new FieldErrors();
    // No backbone here: the tables' width is the vocabulary, and k defaults against it.
    PolicyRequests.effective(errors, "config", PolicyHyperparameters.effective(
        request.getConfig(), request.getBatch(0).getQ(0).getValuesCount()));
    errors.throwIfAny();
    PolicyHyperparameters hp =
        PolicyHyperparameters.fromProto(request.getConfig(), request.getConfig().getTaskType());
    List<LossDiagnostics.Trajectory> batch = new ArrayList<>();
    for (QTrajectory t : request.getBatchList()) {
      batch.add(new LossDiagnostics.Trajectory(rows(t.getQList()), rows(t.getTargetQList()),
          t.getLmLogitsCount() == 0 ? null : rows(t.getLmLogitsList()),
          t.getActionsList().stream().mapToInt(Integer::intValue).toArray(), t.getReward()));
    }
    LossDiagnostics.Result result;
    try {
      result = LossDiagnostics.compute(hp, batch);
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription("batch: " + e.getMessage())
          .asRuntimeException();
    }
    ComputeLossResponse.Builder out = ComputeLossResponse.newBuilder().setLoss(result.loss());
    for (double l : result.perPromptLoss()) {
      out.addPerPromptLoss(l);
    }
    for (double v : result.values()) {
      out.addValues(v);
    }
    reply(response, out.build());
  }

  private static float[][] rows(List<FloatRow> rows) {
    float[][] out = new float[rows.size()][];
    for (int i = 0; i < out.length; i++) {
      List<Float> values = rows.get(i).getValuesList();
      out[i] = new float[values.size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = values.get(j);
      }
    }
    return out;
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }
}
