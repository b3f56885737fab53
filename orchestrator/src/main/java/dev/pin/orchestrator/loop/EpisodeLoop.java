package dev.pin.orchestrator.loop;

import dev.pin.models.store.ModelStore;
import dev.pin.orchestrator.data.DataRoots;
import dev.pin.orchestrator.data.TaskDataLoader;
import dev.pin.orchestrator.shaping.PerplexityPenalty;
import dev.pin.orchestrator.shaping.RewardShaper;
import dev.pin.orchestrator.shaping.RewardStats;
import dev.pin.orchestrator.spec.RunDefaults;
import dev.pin.orchestrator.store.RunStore;
import dev.pin.v1.CheckpointRef;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.ContinuousPrompt;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.DecodeMode;
import dev.pin.v1.DropPolicyRequest;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.PromptFaithfulness;
import dev.pin.v1.PromptNaturalness;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardedPrompt;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.SampleRequest;
import dev.pin.v1.SampleResponse;
import dev.pin.v1.SaveCheckpointRequest;
import dev.pin.v1.ScoreContinuousPromptRequest;
import dev.pin.v1.ScoreContinuousPromptResponse;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StepMetrics;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.UpdateRequest;
import dev.pin.v1.UpdateResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's episode loop (ARCHITECTURE.md "One training step, as data"), top to bottom in the
 * order of the algorithm: sample B prompts from the policy → score them on the training examples
 * → (penalise perplexity, §7.2) → z-score and shape (§5) → update the policy → every N steps
 * evaluate the greedy prompt on dev and checkpoint. The policy is on-policy (RLPrompt) or fills
 * its replay buffer (PIN, §4.4) behind the same Update call. PEZ (§7.1) runs the same loop:
 * its "policy" is one continuous prompt in the policy service, which Sample projects to a hard
 * prompt and Update moves by one projected-gradient step through the task model (the task's
 * training examples reach it with CreatePolicy); the step's prompt is scored for the metrics, and
 * evaluated on dev, like the RL methods' (with {@code evaluation.also_best_sampled}, the best
 * projection since the last evaluation too: §7.1's "keep the best prompt seen"). A soft prompt
 * (Lester et al. 2021) runs the same loop with an Update that forwards the continuous prompt
 * itself; the reward service reads prompts as text only, so its dev and test scores are the
 * continuous prompt's as the policy service computes them (ScoreContinuousPrompt), and the
 * step's reward is its projection's. For both, every dev evaluation also records the
 * faithfulness of the projection (§7.2): the continuous prompt's and the projection's accuracy on
 * dev and how often they agree, with the continuous prompt kept in the run's best prompts.
 *
 * <p>A warm-start prompt ({@code spec.warm_start_prompt}, {@link WarmStartPrompt}) seeds a fresh
 * policy: it is scored on dev before the first step and kept as the first best prompt, then scored
 * on the training examples with the first step's samples, z-scored and shaped with them (§5), and
 * sent in the first Update as a demonstration (sample_id 0 with its token ids): for PIN it enters
 * the replay buffer (§4.4), for RLPrompt it joins the first on-policy batch, which soft
 * Q-learning's path-consistency losses allow (§3: they hold along any trajectory, not only the
 * policy's own). The step's reward metrics summarise the policy's own samples only.
 *
 * <p>A peer that restarts loses nothing: the reward task is re-registered under the same content
 * hash, and a policy that disappeared is reloaded from the last checkpoint, rolling the run back
 * to that step (steps after it are re-run and re-recorded).
 */
final class EpisodeLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(EpisodeLoop.class);
  /** Retries of one call whose task its replica lacks, and the most registrations per retry. */
  private static final int MAX_TASK_ATTEMPTS = 16;

  private final String runId;
  private final RunStore store;
  private final Peers peers;
  private final DataRoots dataRoots;
  /** The identity that started the run, which its policy belongs to ("" without auth). */
  private String owner = "";
  private final ModelStore models;
  private final Duration recoveryWindow;
  private final AtomicReference<StopRequest> stop = new AtomicReference<>();
  /**
   * The context every peer call of this run is made in. CancelRun cancels it, so the call in
   * flight (a Score of thousands of sequences, a model load) ends at once on both sides instead
   * of finishing its step; a shutdown leaves it alone and lets the step finish.
   */
  private final Context.CancellableContext calls = Context.ROOT.withCancellation();

  private RunSpec spec;
  private String handle;
  private TaskSpec inlineTask; // the task with its examples, kept for re-registrations
  private int taskMisses; // Reward calls that found no task on their replica (see onTask)
  private long step;
  private final long startedNanos = System.nanoTime();
  private double bestDev = Double.NEGATIVE_INFINITY;
  private int evaluationsSinceBest;
  private ScoredPrompt bestSampled;
  /** The best prompt sampled since the last evaluation, by the reward the run optimises. */
  private ScoredPrompt windowBest;
  private boolean naturalnessUnavailable;
  private long lastEvaluatedStep = -1;
  /** The warm-start prompt until the first Update of a fresh policy has learned from it. */
  private Prompt demonstration;
  /** Token ids of every prompt this attempt has sampled, for the resampled-share diagnostic. */
  private final java.util.Set<List<Integer>> sampledBefore = new java.util.HashSet<>();

  EpisodeLoop(String runId, RunStore store, Peers peers, DataRoots dataRoots, ModelStore models,
      Duration recoveryWindow) {
    this.runId = runId;
    this.store = store;
    this.peers = peers;
    this.dataRoots = dataRoots;
    this.models = models;
    this.recoveryWindow = recoveryWindow;
  }

  /**
   * Asks the loop to stop: a shutdown after its current step; a cancellation at once, cutting
   * the peer call in flight short.
   */
  void requestStop(StopRequest request) {
    if (stop.compareAndSet(null, request) && request == StopRequest.CANCEL) {
      calls.cancel(null);
    }
  }

  @Override
  public void run() {
    Context previous = calls.attach();
    try {
      prepare();
      train();
      StopRequest requested = stop.get();
      if (requested != null) {
        // Between steps the policy matches the step count: checkpoint it (outside the cancelled
        // context, whose calls would fail at once).
        Context.ROOT.run(this::checkpoint);
        store.transition(runId, requested.state, requested.reason + " at step " + step);
        return;
      }
      finish();
    } catch (StatusRuntimeException e) {
      if (stop.get() == StopRequest.CANCEL) {
        // A call the cancellation cut short: that step's work is dropped, and the run keeps
        // its last checkpoint (the policy may or may not have taken the interrupted update).
        store.transition(runId, RunState.RUN_STATE_CANCELLED, StopRequest.CANCEL.reason
            + " at step " + step + " (the call in flight was cut short)");
        return;
      }
      fail("a service answered " + e.getStatus().getCode() + ": "
          + e.getStatus().getDescription(), remedy(e.getStatus().getCode()));
    } catch (IOException e) {
      fail("cannot read the task's data: " + e.getMessage(), "fix the data, then resume it with "
          + resumeCommand());
    } catch (RuntimeException e) {
      log.error("run {} failed", runId, e);
      fail("internal error: " + e, "resume it with " + resumeCommand());
    } finally {
      calls.detach(previous);
      calls.cancel(null); // nothing of this run may outlive its loop
      releasePolicy();
    }
  }

  /**
   * Frees the run's policy in the policy service (outside the cancelled context): an ended or
   * stopped run would otherwise hold one of {@code policy.max-policies} slots and its memory until
   * the service restarts. Its state is in the last checkpoint, which a resume loads.
   */
  private void releasePolicy() {
    Context.ROOT.run(() -> {
      try {
        peers.policy().withDeadlineAfter(30, TimeUnit.SECONDS)
            .dropPolicy(DropPolicyRequest.newBuilder().setRunId(runId).build());
      } catch (StatusRuntimeException e) {
        log.debug("run {}: policy not dropped ({})", runId, e.getStatus());
      }
    });
  }

  private void fail(String reason, String remedy) {
    log.warn("run {} failed: {}", runId, reason);
    store.transition(runId, RunState.RUN_STATE_FAILED, reason + " (" + remedy + ")");
  }

  /**
   * What a person can do about a failed call. Resuming reruns the stored spec unchanged, so it is
   * offered only where the cause can go away: a service that was down or overloaded, or a missing
   * model that can be imported. A spec the services refuse needs a new run.
   */
  private String remedy(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT, OUT_OF_RANGE, UNIMPLEMENTED -> "the run's spec is at fault and "
          + "resuming would rerun it unchanged: fix the spec and start a new run";
      case FAILED_PRECONDITION -> "fix the cause above, then resume it with " + resumeCommand();
      default -> "resume it with " + resumeCommand() + " once the service is back";
    };
  }

  private String resumeCommand() {
    return "pin train --resume " + runId + " or ResumeRun";
  }

  // ---- setup -------------------------------------------------------------------------------------

  /** Registers the task, creates (or restores) the policy, restores the run's best prompts. */
  private void prepare() throws IOException {
    Run run = store.getRun(runId).orElseThrow();
    spec = run.getSpec();
    owner = run.getOwner();
    registerTask();
    bestSampled = null;
    windowBest = null;
    for (ScoredPrompt p : run.getBestPromptsList()) {
      bestDev = Math.max(bestDev, BestPrompts.selectionScore(p));
    }
    evaluationsSinceBest = evaluationsSinceBest(run);
    if (run.hasCheckpoint() && !run.getCheckpoint().getUri().isEmpty()) {
      restorePolicy(run.getCheckpoint(), "resumed from the checkpoint at step "
          + run.getCheckpoint().getEpisodeStep());
    } else {
      startFresh();
    }
    store.transition(runId, RunState.RUN_STATE_RUNNING,
        step == 0 ? "training started" : "training resumed at step " + step);
    if (demonstration != null && !warmStartEvaluated()) {
      store.appendEvent(runId, message("warm start from \"" + demonstration.getText()
          + "\" (token ids " + demonstration.getTokenIdsList() + "): the first update learns "
          + "from it, and it is the first best prompt"));
      evaluateOnDev(demonstration, false, null);
    }
  }

  /** A new policy at step 0, to be seeded by the warm-start prompt if the spec has one. */
  private void startFresh() {
    createPolicy();
    step = 0;
    demonstration = WarmStartPrompt.of(spec, models).orElse(null);
  }

  /** Whether the warm-start prompt's dev score is already recorded (the only step-0 one). */
  private boolean warmStartEvaluated() {
    return store.readEvaluations(runId).stream()
        .anyMatch(e -> e.getStep() == 0 && e.getSplit() == Split.SPLIT_DEV);
  }

  /** Evaluations (steps with dev results; one may hold two prompts) since the last new best. */
  private int evaluationsSinceBest(Run run) {
    int since = 0;
    long current = -1;
    boolean improvedAtCurrent = false;
    for (EvaluationResult e : store.readEvaluations(runId)) {
      if (e.getSplit() != Split.SPLIT_DEV) {
        continue;
      }
      if (e.getStep() != current) {
        if (current >= 0) {
          since = improvedAtCurrent ? 0 : since + 1;
        }
        current = e.getStep();
        improvedAtCurrent = false;
      }
      improvedAtCurrent |= e.getImproved();
    }
    if (current >= 0) {
      since = improvedAtCurrent ? 0 : since + 1;
    }
    return since;
  }

  private void registerTask() throws IOException {
    inlineTask = TaskDataLoader.load(spec.getTask(), dataRoots);
    handle = peers.reward().registerTask(RegisterTaskRequest.newBuilder().setTask(inlineTask)
        .build()).getHandle();
    // The handle is the task's content hash: `pin report` hands it to the scorer, which measures
    // the best prompts' round trip and R(text) − R(ids) on the run's own task (§7.2).
    store.updateRun(runId, b -> b.putProvenance("task_handle", handle));
  }

  /**
   * A Reward call on the run's task handle. Behind round-robin over several reward replicas, a
   * call can land on a replica the task was never registered with (registration reached another
   * one), which answers NOT_FOUND. Registration is idempotent by content hash, so the task is
   * registered again and the same call retried, without rolling the run back. Registering once
   * per miss can lock step with the rotation (two replicas: the registration always lands on the
   * replica that has the task, the retry on the one that does not), so the n-th miss of the run
   * registers n times in a row: after at most as many misses as there are replicas, every replica
   * holds the task.
   */
  private <T> T onTask(Function<String, T> call) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.apply(handle);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND || attempt >= MAX_TASK_ATTEMPTS) {
          throw e;
        }
        taskMisses++;
        for (int i = 0; i < Math.min(taskMisses, MAX_TASK_ATTEMPTS); i++) {
          handle = peers.reward().registerTask(RegisterTaskRequest.newBuilder()
              .setTask(inlineTask).build()).getHandle();
        }
        // In the history, so an operator (and deploy/ci/fault-test.sh) sees how a Reward restart
        // was absorbed without a rollback.
        store.appendEvent(runId, RunEvent.newBuilder().setMessage("the Reward service did not"
            + " hold the run's task (it restarted, or another replica answered); registered it"
            + " again and retried the call").build());
      }
    }
  }

  private PolicyConfig policyConfig() {
    return RunDefaults.policyConfig(spec);
  }

  private void createPolicy() {
    CreatePolicyRequest create = CreatePolicyRequest.newBuilder().setRunId(runId)
        .setConfig(policyConfig()).setTask(RunDefaults.policyTask(spec, inlineTask)).build();
    try {
      runPolicy().createPolicy(create);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
        throw e;
      }
      // A policy left over from an earlier attempt of this run without a checkpoint: start over.
      peers.policy().dropPolicy(DropPolicyRequest.newBuilder().setRunId(runId).build());
      runPolicy().createPolicy(create);
    }
  }

  /**
   * The policy stub for creating or loading this run's policy: it tells the policy service that
   * the policy is a run's (never evicted for anonymous ones) and whose (its owner may act on it).
   */
  private dev.pin.v1.PolicyGrpc.PolicyBlockingStub runPolicy() {
    return peers.policy().withInterceptors(dev.pin.kit.grpc.Identity.actingForRunOf(owner));
  }

  private void restorePolicy(CheckpointRef checkpoint, String why) {
    runPolicy().loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId(runId)
        .setCheckpoint(checkpoint).setConfig(policyConfig())
        .setTask(RunDefaults.policyTask(spec, inlineTask)).build());
    step = checkpoint.getEpisodeStep();
    store.appendEvent(runId, RunEvent.newBuilder().setMessage(why).build());
  }

  // ---- training ----------------------------------------------------------------------------------

  private void train() throws IOException {
    long maxSteps = spec.getBudget().getMaxSteps();
    Duration maxTime = spec.getBudget().hasMaxDuration()
        ? Duration.ofSeconds(spec.getBudget().getMaxDuration().getSeconds()) : null;
    int patience = spec.getBudget().getEarlyStoppingPatience();
    while (step < maxSteps && stop.get() == null) {
      if (maxTime != null && Duration.ofNanos(System.nanoTime() - startedNanos).compareTo(maxTime) > 0) {
        store.appendEvent(runId, message("time budget of " + maxTime + " reached at step " + step));
        return;
      }
      try {
        trainStep();
        if (step % spec.getEvaluation().getEverySteps() == 0 || step == maxSteps) {
          evaluate();
        }
        if (step % spec.getCheckpointEverySteps() == 0) {
          checkpoint();
        }
      } catch (StatusRuntimeException e) {
        recover(e);
        continue;
      }
      if (patience > 0 && evaluationsSinceBest >= patience) {
        store.appendEvent(runId, message("early stopping: the dev score has not improved in "
            + patience + " evaluations"));
        return;
      }
    }
  }

  /** One step: sample → score → shape → update; the reward leads the recorded metrics. */
  private void trainStep() {
    long t0 = System.nanoTime();
    SampleResponse sampled = peers.policy().sample(SampleRequest.newBuilder().setRunId(runId)
        .setBatchSize(spec.getPromptsPerStep()).setMode(DecodeMode.DECODE_MODE_SAMPLE).build());
    int policySamples = sampled.getPromptsCount();
    List<Prompt> prompts = new ArrayList<>(policySamples + 1);
    sampled.getPromptsList().forEach(p -> prompts.add(p.getPrompt()));
    Prompt warm = demonstration;
    if (warm != null) {
      prompts.add(warm); // scored on the same examples, so it joins the step's z-score (§5)
    }

    List<PromptScore> scores = onTask(h -> peers.reward().score(ScoreRequest.newBuilder()
        .setHandle(h).setSplit(Split.SPLIT_TRAIN).addAllPrompts(prompts).build()))
        .getScoresList();
    double[] raw = new double[prompts.size()];
    double[] accuracy = new double[prompts.size()];
    for (PromptScore s : scores) {
      raw[s.getPromptIndex()] = s.getReward();
      accuracy[s.getPromptIndex()] = s.getAccuracy();
    }

    double[] penalised = penalise(raw, prompts);
    double[] shaped = RewardShaper.of(spec.getShaping()).shape(penalised);

    UpdateRequest.Builder update = UpdateRequest.newBuilder().setRunId(runId);
    for (int i = 0; i < policySamples; i++) {
      update.addPrompts(RewardedPrompt.newBuilder()
          .setSampleId(sampled.getPrompts(i).getSampleId()).setReward((float) shaped[i]));
    }
    if (warm != null) {
      // sample_id 0: a prompt that did not come from this policy, given by its token ids.
      update.addPrompts(RewardedPrompt.newBuilder().addAllTokenIds(warm.getTokenIdsList())
          .setReward((float) shaped[policySamples]));
    }
    UpdateResponse updated = peers.policy().update(update.build());
    demonstration = null;

    step++;
    trackBestSampled(prompts, raw);
    trackWindowBest(prompts.subList(0, policySamples), penalised);
    double[] ownRaw = Arrays.copyOf(raw, policySamples);
    double meanAccuracy = Arrays.stream(accuracy, 0, policySamples).average().orElse(0);
    java.util.Set<List<Integer>> distinct = new java.util.HashSet<>();
    int resampled = 0;
    for (int i = 0; i < policySamples; i++) {
      List<Integer> ids = prompts.get(i).getTokenIdsList();
      distinct.add(ids);
      resampled += sampledBefore.contains(ids) ? 1 : 0;
    }
    sampledBefore.addAll(distinct);
    StepMetrics metrics = RewardStats.summarize(ownRaw, Arrays.copyOf(shaped, policySamples))
        .setStep(step)
        .setDistinctPromptShare(policySamples == 0 ? 0 : distinct.size() / (double) policySamples)
        .setResampledShare(policySamples == 0 ? 0 : resampled / (double) policySamples)
        .setQSpread(sampled.getMeanQSpread())
        .setLoss(updated.getLoss())
        .setWarmingUp(!updated.getUpdated())
        .setEntropy(sampled.getMeanEntropy())
        .setSupportSize(sampled.getMeanSupportSize())
        .setTrainAccuracy(100 * meanAccuracy)
        .setStepTime(protoDuration(System.nanoTime() - t0))
        .build();
    if (spec.getMethod() == dev.pin.v1.Method.METHOD_SOFT_PROMPT) {
      // The step's reward is the projection's; what was trained is the continuous prompt.
      metrics = metrics.toBuilder().setContinuousTrainAccuracy(updated.getTrainAccuracy())
          .build();
    }
    store.recordStep(runId, metrics);
  }

  /** R′ = R − λ·g(PPL(z)) (§7.2) when the run asks for it; the Scorer computes the PPL. */
  private double[] penalise(double[] raw, List<Prompt> prompts) {
    PerplexityPenalty penalty = PerplexityPenalty.of(spec.getShaping().getPerplexityPenalty());
    if (!penalty.enabled()) {
      return raw;
    }
    NaturalnessRequest.Builder request = NaturalnessRequest.newBuilder()
        .setModel(spec.getShaping().getPerplexityPenalty().getModel());
    request.addAllPrompts(prompts);
    List<PromptNaturalness> scored = peers.scorer().naturalness(request.build()).getResultsList();
    double[] ppl = new double[scored.size()];
    for (int i = 0; i < ppl.length; i++) {
      ppl[i] = scored.get(i).getPerplexity();
    }
    return penalty.apply(raw, ppl);
  }

  /** Image inversion's output is the best prompt ever sampled (§6.3); kept for every task. */
  private void trackBestSampled(List<Prompt> prompts, double[] raw) {
    for (int i = 0; i < raw.length; i++) {
      if (bestSampled == null || raw[i] > bestSampled.getDevScore()) {
        bestSampled = ScoredPrompt.newBuilder().setPrompt(prompts.get(i))
            .setStep(step).setDevScore(raw[i]).build();
      }
    }
  }

  /** The dev candidate of {@code evaluation.also_best_sampled}: the window's top reward. */
  private void trackWindowBest(List<Prompt> prompts, double[] reward) {
    for (int i = 0; i < prompts.size(); i++) {
      if (windowBest == null || reward[i] > windowBest.getDevScore()) {
        windowBest = ScoredPrompt.newBuilder().setPrompt(prompts.get(i)).setStep(step)
            .setDevScore(reward[i]).build();
      }
    }
  }

  // ---- evaluation and checkpoints ----------------------------------------------------------------

  /**
   * Scores the greedy prompt on dev (accuracy %, §6.1), and the best prompt sampled since the last
   * evaluation when the run asks for it, and keeps the best prompts. For PEZ and soft prompts the
   * greedy prompt is the current projection, scored with the continuous prompt it comes from on
   * classification ({@link #scoredByPolicy}).
   */
  private void evaluate() {
    lastEvaluatedStep = step;
    Prompt greedy;
    boolean improved;
    if (scoredByPolicy()) {
      ScoreContinuousPromptResponse current = scoreContinuous(Split.SPLIT_DEV, null);
      greedy = current.getProjection();
      improved = evaluateOnDev(greedy, false, current);
    } else {
      greedy = peers.policy().sample(SampleRequest.newBuilder().setRunId(runId)
          .setBatchSize(1).setMode(DecodeMode.DECODE_MODE_GREEDY).build()).getPrompts(0)
          .getPrompt();
      improved = evaluateOnDev(greedy, false, null);
    }
    if (spec.getEvaluation().getAlsoBestSampled() && windowBest != null
        && !windowBest.getPrompt().getText().equals(greedy.getText())) {
      improved |= evaluateOnDev(windowBest.getPrompt(), true, null);
    }
    windowBest = null;
    evaluationsSinceBest = improved ? 0 : evaluationsSinceBest + 1;
  }

  /**
   * The policy service's scores of a continuous prompt (PEZ, soft prompts) and of its projection
   * on a split of the run's classification task (§7.2's faithfulness).
   *
   * @param prompt the continuous prompt to score; null for the policy's current one
   */
  private ScoreContinuousPromptResponse scoreContinuous(Split split, ContinuousPrompt prompt) {
    ClassificationTask c = inlineTask.getClassification();
    List<dev.pin.v1.LabeledText> examples = switch (split) {
      case SPLIT_TRAIN -> c.getTrainList();
      case SPLIT_TEST -> c.getTestList();
      default -> c.getDevList();
    };
    // In parts, each inside the peer deadline (a test split has thousands of sentences).
    List<ScoreContinuousPromptResponse> parts = new ArrayList<>();
    int size = ContinuousScores.EXAMPLES_PER_CALL;
    for (int from = 0; from < Math.max(1, examples.size()); from += size) {
      ScoreContinuousPromptRequest.Builder request = ScoreContinuousPromptRequest.newBuilder()
          .setRunId(runId).setSplit(split)
          .addAllExamples(examples.subList(from, Math.min(examples.size(), from + size)));
      if (prompt != null) {
        request.setPrompt(prompt);
      } else if (!parts.isEmpty()) {
        request.setPrompt(parts.get(0).getPrompt()); // the same vectors for every part
      }
      parts.add(peers.policy().scoreContinuousPrompt(request.build()));
    }
    return ContinuousScores.merge(parts);
  }

  /**
   * Whether the policy service scores the run's continuous prompt beside its projection (§7.2):
   * PEZ and soft prompts on classification. PEZ's image inversion is evaluated as the RL methods
   * are: its greedy prompt (the current projection) by the reward service's CLIP score (§6.3).
   */
  private boolean scoredByPolicy() {
    return RunDefaults.continuous(spec.getMethod()) && spec.getTask().hasClassification();
  }

  /** Whether the run's scores are its continuous prompt's (soft prompts), not its text's. */
  private boolean scoredAsVectors() {
    return spec.getMethod() == dev.pin.v1.Method.METHOD_SOFT_PROMPT;
  }

  /**
   * Scores a prompt on dev, records the evaluation at this step and keeps the best prompts.
   *
   * @param bestSampled whether {@code prompt} is the window's top-reward sample
   * @param continuous PEZ and soft prompts: the policy service's scores of the continuous prompt
   *     {@code prompt} is the projection of (recorded as its faithfulness; a soft prompt's dev
   *     score); null otherwise
   * @return whether its dev score is a new best
   */
  private boolean evaluateOnDev(Prompt prompt, boolean bestSampled,
      ScoreContinuousPromptResponse continuous) {
    double devScore;
    int devExamples;
    if (continuous != null && scoredAsVectors()) {
      devScore = continuous.getFaithfulness().getContinuousScore();
      devExamples = continuous.getFaithfulness().getExamples();
    } else {
      PromptEvaluation dev = onTask(h -> peers.reward().evaluate(EvaluateRequest.newBuilder()
          .setHandle(h).setSplit(Split.SPLIT_DEV).addPrompts(prompt).build()))
          .getEvaluations(0);
      devScore = devScore(dev);
      devExamples = dev.getExamples();
    }
    ScoredPrompt.Builder scored = ScoredPrompt.newBuilder().setPrompt(prompt).setStep(step)
        .setDevScore(devScore);
    if (continuous != null) {
      scored.setFaithfulness(continuous.getFaithfulness())
          .setContinuousPrompt(continuous.getPrompt());
    }
    double selection = devScore;
    if (spec.getEvaluation().getSelectOnTrainAndDev()) {
      // Dev and training examples together, weighted by their counts: half the noise of 32.
      double trainScore;
      int trainExamples;
      if (continuous != null && scoredAsVectors()) {
        PromptFaithfulness train = scoreContinuous(Split.SPLIT_TRAIN, continuous.getPrompt())
            .getFaithfulness();
        trainScore = train.getContinuousScore();
        trainExamples = train.getExamples();
      } else {
        PromptEvaluation train = onTask(h -> peers.reward().evaluate(EvaluateRequest.newBuilder()
            .setHandle(h).setSplit(Split.SPLIT_TRAIN).addPrompts(prompt).build()))
            .getEvaluations(0);
        trainScore = devScore(train);
        trainExamples = train.getExamples();
      }
      int n = devExamples + trainExamples;
      selection = n == 0 ? devScore
          : (devScore * devExamples + trainScore * trainExamples) / n;
      scored.setSelectionScore(selection);
    }
    naturalness(prompt).ifPresent(scored::setNaturalness);
    boolean improved = selection > bestDev;
    if (improved) {
      bestDev = selection;
    }
    ScoredPrompt result = scored.build();
    // The continuous prompt stays in the run's best prompts; the events leave it out (bulk).
    ScoredPrompt recorded = result.toBuilder().clearContinuousPrompt().build();
    store.recordEvaluation(runId, EvaluationResult.newBuilder().setStep(step)
        .setSplit(Split.SPLIT_DEV).setPrompt(recorded).setImproved(improved)
        .setBestSampled(bestSampled).build());
    int keep = spec.getEvaluation().getTopPrompts();
    List<RunEvent> events = improved
        ? List.of(RunEvent.newBuilder().setBestPrompt(recorded).build()) : List.of();
    store.update(runId, run -> {
      List<ScoredPrompt> best = BestPrompts.merge(run.getBestPromptsList(), result, keep,
          scoredAsVectors());
      run.clearBestPrompts().addAllBestPrompts(best);
    }, events);
    return improved;
  }

  /** Accuracy for classification, J for style transfer, CLIP score for image inversion. */
  private double devScore(PromptEvaluation e) {
    return switch (spec.getTask().getTaskCase()) {
      case STYLE_TRANSFER -> e.getJScore();
      case IMAGE_INVERSION -> e.getClipScore();
      case CUSTOM -> e.getReward();
      default -> e.getAccuracy();
    };
  }

  /** Naturalness from the Scorer, if the run wants it and the Scorer can give it. */
  private java.util.Optional<PromptNaturalness> naturalness(Prompt prompt) {
    if (spec.getEvaluation().getSkipNaturalness() || naturalnessUnavailable
        || prompt.getText().isBlank()) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(peers.scorer().naturalness(NaturalnessRequest.newBuilder()
          .addPrompts(prompt).build()).getResults(0));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
        throw e;
      }
      naturalnessUnavailable = true;
      store.appendEvent(runId, message("naturalness is not scored in this run: the scorer "
          + "answered " + e.getStatus().getCode() + ": " + e.getStatus().getDescription()));
      return java.util.Optional.empty();
    }
  }

  /** Saves the policy and records where, with the episode step it belongs to. */
  private void checkpoint() {
    CheckpointRef ref = peers.policy().saveCheckpoint(SaveCheckpointRequest.newBuilder()
        .setRunId(runId).setEpisodeStep(step).build()).toBuilder().setEpisodeStep(step).build();
    store.recordCheckpoint(runId, ref);
  }

  /** After training: the top prompts on the test split, then COMPLETED. */
  private void finish() {
    if (step > 0 && lastEvaluatedStep != step) {
      evaluate(); // a time budget or early stop can end between evaluations
    }
    store.transition(runId, RunState.RUN_STATE_EVALUATING, "training ended at step " + step);
    checkpoint();
    Run run = store.getRun(runId).orElseThrow();
    List<ScoredPrompt> candidates = new ArrayList<>(run.getBestPromptsList());
    if (spec.getTask().getTaskCase() == TaskSpec.TaskCase.IMAGE_INVERSION && bestSampled != null) {
      candidates.add(0, bestSampled);
    }
    List<ScoredPrompt> tested = new ArrayList<>();
    for (ScoredPrompt p : candidates) {
      ScoredPrompt.Builder withTest = p.toBuilder().setTested(true);
      if (scoredAsVectors()) {
        // A soft prompt's test score is its kept continuous prompt's; its projection's and their
        // agreement come with it. (PEZ's test score is the reward service's, of the projection:
        // its test faithfulness would cost two float32 passes over the test split per prompt,
        // so it is left to ScoreContinuousPrompt with the kept continuous_prompt.)
        if (!p.hasContinuousPrompt()) {
          throw new IllegalStateException("best prompt \"" + p.getPrompt().getText() + "\" of a "
              + "soft-prompt run has no continuous prompt to score on test");
        }
        PromptFaithfulness test = scoreContinuous(Split.SPLIT_TEST, p.getContinuousPrompt())
            .getFaithfulness();
        withTest.setTestFaithfulness(test).setTestScore(test.getContinuousScore());
      } else {
        PromptEvaluation test = onTask(h -> peers.reward().evaluate(EvaluateRequest.newBuilder()
            .setHandle(h).setSplit(Split.SPLIT_TEST).addPrompts(p.getPrompt()).build()))
            .getEvaluations(0);
        withTest.setTestScore(devScore(test));
      }
      tested.add(withTest.build());
      store.recordEvaluation(runId, EvaluationResult.newBuilder().setStep(step)
          .setSplit(Split.SPLIT_TEST).setPrompt(withTest.clearContinuousPrompt()).build());
    }
    store.updateRun(runId, r -> r.clearBestPrompts().addAllBestPrompts(tested));
    store.transition(runId, RunState.RUN_STATE_COMPLETED, "finished " + step + " steps; "
        + tested.size() + " best prompts evaluated on the test split");
  }

  // ---- recovery ----------------------------------------------------------------------------------

  /**
   * A peer failed mid-step. Transient failures (UNAVAILABLE, a policy or task the peer forgot after
   * a restart, a deadline, or a call the peer cancelled — as a server does when the deadline it
   * was sent expires first, or when it shuts down) are retried for {@code recoveryWindow}: the task
   * is re-registered and the policy reloaded from the last checkpoint. Anything else, and a call
   * cancelled because this thread was interrupted, ends the run as FAILED.
   */
  private void recover(StatusRuntimeException failure) throws IOException {
    Status.Code code = failure.getStatus().getCode();
    boolean peerCancelled =
        code == Status.Code.CANCELLED && !Thread.currentThread().isInterrupted();
    if (code != Status.Code.UNAVAILABLE && code != Status.Code.NOT_FOUND
        && code != Status.Code.DEADLINE_EXCEEDED && !peerCancelled) {
      throw failure;
    }
    long deadline = System.nanoTime() + recoveryWindow.toNanos();
    StatusRuntimeException last = failure;
    while (System.nanoTime() < deadline && stop.get() == null) {
      try {
        registerTask();
        Run run = store.getRun(runId).orElseThrow();
        if (run.hasCheckpoint() && !run.getCheckpoint().getUri().isEmpty()) {
          restorePolicy(run.getCheckpoint(), "recovered from " + code + " (" + failure.getStatus()
              .getDescription() + "); rolled back to the checkpoint at step "
              + run.getCheckpoint().getEpisodeStep());
        } else {
          startFresh();
          store.appendEvent(runId, message("recovered from " + code + "; no checkpoint yet, so "
              + "training restarts from step 0"));
        }
        return;
      } catch (StatusRuntimeException e) {
        last = e;
        sleep(Duration.ofSeconds(1));
      }
    }
    throw last;
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static com.google.protobuf.Duration protoDuration(long nanos) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(nanos / 1_000_000_000L)
        .setNanos((int) (nanos % 1_000_000_000L)).build();
  }

  private static RunEvent message(String text) {
    return RunEvent.newBuilder().setMessage(text).build();
  }
}
