package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.kit.testing.Await;
import dev.pin.orchestrator.data.TaskDataLoader;
import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.DropPolicyRequest;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.EvaluatePromptResponse;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.GetPolicyRequest;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.Method;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.PolicyInfo;
import dev.pin.v1.Prompt;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.StepMetrics;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole runs in embedded mode on tiny random-weight models and a small few-shot data set. */
class EndToEndTest {
  @TempDir Path home;
  private EmbeddedEnsemble ensemble;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private OrchestratorGrpc.OrchestratorBlockingStub orchestrator;

  private void startEnsemble() throws Exception {
    ensemble = EmbeddedEnsemble.create(Config.of(Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "orchestrator.store-url", "jdbc:sqlite:" + home.resolve("runs.db"),
        "orchestrator.data-dir", home.toString(),
        "orchestrator.recovery-window", "20s",
        // Ended runs' series go almost at once, so a test can see them gone.
        "orchestrator.ended-run-metrics", "1ms",
        "orchestrator.metrics-port", "-1", "policy.metrics-port", "-1",
        "reward.metrics-port", "-1", "scorer.metrics-port", "-1")),
        "e2e-" + UUID.randomUUID(), false);
    ensemble.start();
    assertTrue(ensemble.awaitReady(30, TimeUnit.SECONDS));
    ManagedChannel channel = InProcessChannelBuilder
        .forName(ensemble.inProcessName("orchestrator")).build();
    channels.add(channel);
    orchestrator = OrchestratorGrpc.newBlockingStub(channel);
  }

  @BeforeEach
  void setUp() throws Exception {
    TinyRuns.write(home);
    startEnsemble();
  }

  @AfterEach
  void tearDown() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (ensemble != null) {
      ensemble.close();
    }
  }

  private static RunSpec spec(Method method, long steps) {
    return TinyRuns.spec(method, steps);
  }

  private List<RunEvent> watch(String runId) {
    List<RunEvent> events = new ArrayList<>();
    Iterator<RunEvent> it = orchestrator.withDeadlineAfter(120, TimeUnit.SECONDS)
        .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());
    it.forEachRemaining(events::add);
    return events;
  }

  /** A client of the ensemble's Reward service, to recompute what a run was told. */
  private RewardGrpc.RewardBlockingStub rewardStub() {
    ManagedChannel rewardChannel = InProcessChannelBuilder
        .forName(ensemble.inProcessName("reward")).build();
    channels.add(rewardChannel);
    return RewardGrpc.newBlockingStub(rewardChannel);
  }

  /** The handle of a run's task (registration is idempotent: the run's own). */
  private String registerTask(RewardGrpc.RewardBlockingStub reward, Run run) throws Exception {
    return reward.registerTask(RegisterTaskRequest.newBuilder()
        .setTask(TaskDataLoader.load(run.getSpec().getTask(), home)).build()).getHandle();
  }

  private Run get(String runId) {
    return orchestrator.getRun(GetRunRequest.newBuilder().setRunId(runId).build());
  }

  @Test
  void pinAndRlpromptRunsCompleteAndWatchReplaysTheirHistory() {
    for (Method method : List.of(Method.METHOD_PIN, Method.METHOD_RLPROMPT)) {
      Run started = orchestrator.startRun(StartRunRequest.newBuilder()
          .setSpec(spec(method, 12)).build());
      assertEquals(5, started.getSpec().getPolicy().getPromptLength(), "§8 defaults filled");
      List<RunEvent> live = watch(started.getId());
      RunEvent last = live.get(live.size() - 1);
      assertEquals(RunState.RUN_STATE_COMPLETED, last.getState().getTo(), live.toString());
      long steps = live.stream().filter(RunEvent::hasStep).count();
      assertEquals(12, steps);
      assertTrue(live.stream().anyMatch(RunEvent::hasEvaluation));
      assertTrue(live.stream().anyMatch(RunEvent::hasCheckpoint));
      for (int i = 1; i < live.size(); i++) {
        assertEquals(live.get(i - 1).getSequence() + 1, live.get(i).getSequence(), "no gaps");
      }

      Run done = get(started.getId());
      assertEquals(RunState.RUN_STATE_COMPLETED, done.getState());
      assertEquals(12, done.getStep());
      assertFalse(done.getBestPromptsList().isEmpty());
      for (ScoredPrompt p : done.getBestPromptsList()) {
        assertTrue(p.getTested(), "best prompts are re-evaluated on test");
        assertEquals(5, p.getPrompt().getTokenIdsCount());
      }
      assertEquals("tiny-bert", done.getProvenanceMap().get("policy_backbone"));

      // A late subscriber gets the whole history, marked as replayed, then the stream ends.
      List<RunEvent> replay = watch(started.getId());
      assertEquals(live.size(), replay.size());
      assertTrue(replay.stream().allMatch(RunEvent::getReplayed));
    }
    List<Run> summaries = orchestrator.listRuns(ListRunsRequest.getDefaultInstance())
        .getRunsList();
    assertEquals(2, summaries.size());
    // Issue #17: ListRuns summarises by default (a spec's inline examples can be megabytes).
    for (Run summary : summaries) {
      assertFalse(summary.getSpec().hasTask(), "no task in a summary");
      assertTrue(summary.getSpec().getName().startsWith("e2e-"), summary.getSpec().getName());
      assertEquals(1, summary.getBestPromptsCount());
    }
    List<Run> full = orchestrator.listRuns(ListRunsRequest.newBuilder()
        .setView(dev.pin.v1.RunView.RUN_VIEW_FULL).build()).getRunsList();
    // The full view has the task and every best prompt (PIN on the tiny backbone may keep one:
    // its LM filter keeps 20 % of a small vocabulary, so its prompts can coincide).
    assertTrue(full.stream().allMatch(r -> r.getSpec().hasTask()));
    assertTrue(full.stream().anyMatch(r -> r.getBestPromptsCount() > 1), full.toString());
  }

  @Test
  void aPolicyThatForgetsItsRunIsRestoredFromTheLastCheckpoint() throws Exception {
    Run started = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(spec(Method.METHOD_RLPROMPT, 40)).build());
    Await.until("a checkpoint", Duration.ofSeconds(60), () -> get(started.getId()).hasCheckpoint());
    ManagedChannel policyChannel = InProcessChannelBuilder
        .forName(ensemble.inProcessName("policy")).build();
    channels.add(policyChannel);
    // As if the policy service had restarted: the run's policy is gone.
    PolicyGrpc.newBlockingStub(policyChannel).dropPolicy(DropPolicyRequest.newBuilder()
        .setRunId(started.getId()).build());
    List<RunEvent> events = watch(started.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo());
    assertTrue(events.stream().anyMatch(e -> e.getMessage().contains("rolled back to the "
        + "checkpoint")), "the recovery is visible in the event log");
    assertEquals(40, get(started.getId()).getStep());
  }

  @Test
  void anInterruptedRunResumesAfterAnOrchestratorRestart() throws Exception {
    Run started = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(spec(Method.METHOD_PIN, 400)).build());
    Await.until("a checkpoint", Duration.ofSeconds(60), () -> get(started.getId()).hasCheckpoint());
    ensemble.close();
    channels.forEach(ManagedChannel::shutdownNow);
    startEnsemble();
    Run interrupted = get(started.getId());
    assertEquals(RunState.RUN_STATE_INTERRUPTED, interrupted.getState());
    long checkpointStep = interrupted.getCheckpoint().getEpisodeStep();
    assertTrue(checkpointStep >= 4);

    StatusRuntimeException notEnded = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.cancelRun(CancelRunRequest.newBuilder().setRunId("run-nope").build()));
    assertEquals(Status.Code.NOT_FOUND, notEnded.getStatus().getCode());

    orchestrator.resumeRun(ResumeRunRequest.newBuilder().setRunId(started.getId()).build());
    Await.until("steps past the checkpoint", Duration.ofSeconds(60),
        () -> get(started.getId()).getStep() > checkpointStep + 2);
    Run cancelled = orchestrator.cancelRun(CancelRunRequest.newBuilder()
        .setRunId(started.getId()).build());
    assertTrue(cancelled.getStep() > checkpointStep);
    Await.until("the run to end CANCELLED", Duration.ofSeconds(60),
        () -> get(started.getId()).getState() == RunState.RUN_STATE_CANCELLED);

    // Resumed again, the run leaves CANCELLED before the reply, so a watch opened at once follows
    // the new attempt (pin train --resume used to stop at the old CANCELLED while it trained on).
    Run[] again = new Run[1];
    Await.until("the cancelled loop to let go of the run", Duration.ofSeconds(60), () -> {
      try {
        again[0] = orchestrator.resumeRun(ResumeRunRequest.newBuilder()
            .setRunId(started.getId()).build());
        return true;
      } catch (StatusRuntimeException e) { // "… still driven here" until its thread has ended
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        return false;
      }
    });
    assertEquals(RunState.RUN_STATE_PENDING, again[0].getState());
    Iterator<RunEvent> live = orchestrator.withDeadlineAfter(120, TimeUnit.SECONDS)
        .watchRun(WatchRunRequest.newBuilder().setRunId(started.getId()).build());
    RunEvent resumed = null;
    while (resumed == null && live.hasNext()) {
      RunEvent e = live.next();
      if (!e.getReplayed() && e.hasState() && e.getState().getTo() == RunState.RUN_STATE_RUNNING) {
        resumed = e;
      }
    }
    assertTrue(resumed != null, "the watch followed the resumed attempt");
    orchestrator.cancelRun(CancelRunRequest.newBuilder().setRunId(started.getId()).build());
    RunEvent last = resumed;
    while (live.hasNext()) {
      last = live.next();
    }
    assertEquals(RunState.RUN_STATE_CANCELLED, last.getState().getTo(), last.toString());
  }

  @Test
  void aWarmStartPromptIsTheFirstBestPromptAndSeedsTheReplayBuffer() {
    String warm = "i love this great movie"; // five tokens of the tiny vocabulary, T = 5
    Run started = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(spec(Method.METHOD_PIN, 8).toBuilder().setWarmStartPrompt(warm)).build());
    List<RunEvent> events = watch(started.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo(),
        events.toString());

    ScoredPrompt first = events.stream().filter(RunEvent::hasBestPrompt).findFirst()
        .orElseThrow().getBestPrompt();
    assertEquals(warm, first.getPrompt().getText());
    assertEquals(0, first.getStep(), "kept before the first step");
    double devScore = orchestrator.evaluatePrompt(EvaluatePromptRequest.newBuilder()
        .setTask(started.getSpec().getTask()).setPromptText(warm).setSplit(Split.SPLIT_DEV)
        .build()).getScore();
    assertEquals(devScore, first.getDevScore(), 1e-9, "its dev score, as EvaluatePrompt gives it");
    assertTrue(events.stream().anyMatch(e -> e.hasEvaluation() && e.getEvaluation().getStep() == 0
        && e.getEvaluation().getPrompt().getPrompt().getText().equals(warm)));

    // PIN pushed the 8 × 4 sampled prompts and the demonstration into its replay buffer, which
    // the run's last checkpoint holds (an ended run's policy is dropped from the service).
    ManagedChannel policyChannel = InProcessChannelBuilder
        .forName(ensemble.inProcessName("policy")).build();
    channels.add(policyChannel);
    var policyStub = PolicyGrpc.newBlockingStub(policyChannel);
    Run done = get(started.getId());
    assertThrows(StatusRuntimeException.class, () -> policyStub.getPolicy(
        GetPolicyRequest.newBuilder().setRunId(started.getId()).build()), "dropped at the end");
    PolicyInfo policy = policyStub.loadCheckpoint(dev.pin.v1.LoadCheckpointRequest.newBuilder()
        .setRunId(started.getId()).setCheckpoint(done.getCheckpoint())
        .setConfig(dev.pin.orchestrator.spec.RunDefaults.policyConfig(done.getSpec())).build());
    assertEquals(8 * 4 + 1, policy.getReplaySize());
    policyStub.dropPolicy(dev.pin.v1.DropPolicyRequest.newBuilder().setRunId(started.getId())
        .build());

    // RLPrompt learns from it in its first on-policy batch.
    Run rlprompt = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(spec(Method.METHOD_RLPROMPT, 4).toBuilder().setWarmStartPrompt(warm)).build());
    List<RunEvent> rlEvents = watch(rlprompt.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, rlEvents.get(rlEvents.size() - 1).getState()
        .getTo(), rlEvents.toString());
    assertEquals(warm, rlEvents.stream().filter(RunEvent::hasBestPrompt).findFirst()
        .orElseThrow().getBestPrompt().getPrompt().getText());
  }

  @Test
  void alsoBestSampledDevScoresEachWindowsTopRewardPromptBesideTheGreedyOne() throws Exception {
    RunSpec base = spec(Method.METHOD_RLPROMPT, 12);
    RunSpec spec = base.toBuilder().setEvaluation(base.getEvaluation().toBuilder()
        .setAlsoBestSampled(true)).build();
    Run started = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(spec).build());
    List<RunEvent> events = watch(started.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo(),
        events.toString());

    // The Reward service's train reward of a prompt, to compare with the steps' reward_max.
    RewardGrpc.RewardBlockingStub reward = rewardStub();
    String handle = registerTask(reward, started);

    int withTwo = 0;
    for (long evalStep : List.of(4L, 8L, 12L)) {
      List<EvaluationResult> dev = events.stream()
          .filter(e -> e.hasEvaluation() && e.getEvaluation().getSplit() == Split.SPLIT_DEV
              && e.getEvaluation().getStep() == evalStep)
          .map(RunEvent::getEvaluation).toList();
      assertTrue(dev.size() == 1 || dev.size() == 2, evalStep + ": " + dev);
      if (dev.size() == 1) {
        continue; // the window's best prompt was the greedy one
      }
      withTwo++;
      double windowMax = events.stream()
          .filter(e -> e.hasStep() && e.getStep().getStep() > evalStep - 4
              && e.getStep().getStep() <= evalStep)
          .mapToDouble(e -> e.getStep().getRewardMax()).max().orElseThrow();
      assertFalse(dev.get(0).getBestSampled(), "the greedy prompt comes first");
      assertTrue(dev.get(1).getBestSampled());
      Prompt candidate = dev.get(1).getPrompt().getPrompt();
      double trainReward = reward.score(ScoreRequest.newBuilder().setHandle(handle)
          .setSplit(Split.SPLIT_TRAIN).addPrompts(candidate).build()).getScores(0).getReward();
      assertEquals(windowMax, trainReward, 1e-4, "step " + evalStep + ": " + candidate.getText()
          + " is the window's top-reward sample");
    }
    assertTrue(withTwo > 0, "a random tiny policy's samples differ from its greedy prompt");
  }

  @Test
  void aWarmStartPromptOfTheWrongLengthIsAnInvalidArgument() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(
            spec(Method.METHOD_PIN, 4).toBuilder().setWarmStartPrompt("it was great")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("spec.warm_start_prompt: \"it was great\" "
        + "is 3 tokens"), e.getStatus().getDescription());
    assertEquals(0, orchestrator.listRuns(ListRunsRequest.getDefaultInstance()).getRunsCount(),
        "a refused run leaves no record");
  }

  @Test
  void evaluatePromptScoresAWrittenPrompt() {
    EvaluatePromptResponse r = orchestrator.evaluatePrompt(EvaluatePromptRequest.newBuilder()
        .setTask(spec(Method.METHOD_PIN, 1).getTask()).setPromptText("it was").build());
    assertEquals(TinyRuns.SENTENCES.length, r.getExamples());
    assertTrue(r.getScore() >= 0 && r.getScore() <= 100);
  }

  @Test
  void malformedSpecsAndDataAreInvalidArguments() throws Exception {
    RunSpec badSteps = spec(Method.METHOD_PIN, 10).toBuilder()
        .setPolicy(spec(Method.METHOD_PIN, 10).getPolicy().toBuilder().setPromptLength(500))
        .build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(badSteps).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("spec.policy.prompt_length"),
        e.getStatus().getDescription());

    Files.writeString(home.resolve("data/16-1/train.tsv"), "sentence\tlabel\nfine\tx\n");
    StatusRuntimeException data = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder()
            .setSpec(spec(Method.METHOD_PIN, 10)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, data.getStatus().getCode());
    assertTrue(data.getStatus().getDescription().contains("train.tsv:2"),
        data.getStatus().getDescription());
  }

  /** A PIN spec with every short-run option of issue #13 on. */
  private static RunSpec shortRunSpec(long steps) {
    RunSpec base = spec(Method.METHOD_PIN, steps);
    return base.toBuilder()
        .setPolicy(base.getPolicy().toBuilder().setPriorWeight(0.5f)
            .setReplay(base.getPolicy().getReplay().toBuilder().setUpdatesPerStep(2)))
        .setEvaluation(base.getEvaluation().toBuilder().setAlsoBestSampled(true)
            .setSelectOnTrainAndDev(true))
        .build();
  }

  @Test
  void theSameSpecAndSeedTrainTheSamePromptsTwice() {
    List<List<Double>> rewards = new ArrayList<>();
    List<List<String>> best = new ArrayList<>();
    for (int attempt = 0; attempt < 2; attempt++) {
      Run started = orchestrator.startRun(StartRunRequest.newBuilder()
          .setSpec(shortRunSpec(12)).build());
      List<RunEvent> events = watch(started.getId());
      assertEquals(RunState.RUN_STATE_COMPLETED,
          events.get(events.size() - 1).getState().getTo(), events.toString());
      rewards.add(events.stream().filter(RunEvent::hasStep)
          .map(e -> e.getStep().getRewardMean()).toList());
      best.add(get(started.getId()).getBestPromptsList().stream()
          .map(p -> p.getPrompt().getText() + " " + p.getPrompt().getTokenIdsList()).toList());
    }
    assertEquals(12, rewards.get(0).size());
    assertEquals(rewards.get(0), rewards.get(1), "per-step rewards");
    assertEquals(best.get(0), best.get(1), "best prompts");
  }

  @Test
  void stepsReportExplorationDiagnostics() {
    Run started = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(shortRunSpec(8)).build());
    List<StepMetrics> steps = watch(started.getId()).stream().filter(RunEvent::hasStep)
        .map(RunEvent::getStep).toList();
    assertEquals(8, steps.size());
    for (StepMetrics m : steps) {
      assertTrue(m.getDistinctPromptShare() > 0 && m.getDistinctPromptShare() <= 1, m.toString());
      assertTrue(m.getResampledShare() >= 0 && m.getResampledShare() <= 1, m.toString());
      assertTrue(m.getQSpread() >= 0, m.toString());
    }
    assertEquals(0, steps.get(0).getResampledShare(), "nothing was sampled before step 1");
    // The replay buffer warms up first (no gradient step, loss 0 that is not a loss), then every
    // step updates: warm-up steps are a non-empty prefix.
    assertTrue(steps.get(0).getWarmingUp(), steps.get(0).toString());
    assertFalse(steps.get(steps.size() - 1).getWarmingUp(), steps.toString());
    int warm = (int) steps.stream().takeWhile(StepMetrics::getWarmingUp).count();
    assertTrue(steps.subList(warm, steps.size()).stream().noneMatch(StepMetrics::getWarmingUp));
    assertTrue(steps.subList(0, warm).stream().allMatch(m -> m.getLoss() == 0), steps.toString());
  }

  @Test
  void theMetricsOfAllFourServicesFollowPrometheusConventions() throws Exception {
    Run started = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(spec(Method.METHOD_PIN, 4)).build());
    List<RunEvent> events = watch(started.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED,
        events.get(events.size() - 1).getState().getTo(), events.toString());
    String runLabel = "run=\"" + started.getId() + "\"";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ensemble.host("orchestrator").registry().scrape().contains(runLabel)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Map<String, String> typeByName = new java.util.HashMap<>();
    Map<String, String> scraped = new java.util.HashMap<>();
    for (String service : EmbeddedEnsemble.SERVICES) {
      String text = ensemble.host(service).registry().scrape();
      scraped.put(service, text);
      for (String line : text.lines().toList()) {
        String[] f = line.split(" ", 4);
        if (line.startsWith("# HELP ")) {
          assertTrue(f.length == 4 && !f[3].isBlank(), service + ": no HELP text: " + line);
          // The pin_* series read alike on every service: HELP a sentence, capitalised.
          assertTrue(!f[2].startsWith("pin_") || Character.isUpperCase(f[3].charAt(0)),
              service + ": HELP not capitalised: " + line);
        } else if (line.startsWith("# TYPE ")) {
          String before = typeByName.putIfAbsent(f[2], f[3]);
          assertTrue(before == null || before.equals(f[3]),
              f[2] + " is a " + before + " and, on " + service + ", a " + f[3]);
        }
      }
    }
    String orchestratorText = scraped.get("orchestrator");
    // One name, one meaning: the perplexity histogram is the scorer's alone (the run's greedy
    // prompt's perplexity is pin_train_dev_prompt_perplexity).
    assertFalse(orchestratorText.contains("pin_eval_naturalness"), orchestratorText);
    // The run ended, so its series are gone; the counter over all runs stays.
    assertFalse(orchestratorText.contains(runLabel), orchestratorText);
    assertTrue(orchestratorText.contains("pin_train_steps_total"), orchestratorText);
    // A handful of fixed latency buckets per batcher, not a percentile histogram.
    Map<String, Long> waitBuckets = scraped.get("reward").lines()
        .filter(l -> l.startsWith("pin_reward_batch_wait_seconds_bucket{"))
        .collect(java.util.stream.Collectors.groupingBy(
            l -> l.replaceAll(".*batcher=\"([^\"]*)\".*", "$1"),
            java.util.stream.Collectors.counting()));
    assertFalse(waitBuckets.isEmpty(), scraped.get("reward"));
    waitBuckets.forEach((batcher, n) -> assertEquals(15L, n, batcher));
  }

  @Test
  void selectOnTrainAndDevRanksPromptsByTheirAccuracyOverBothSplits() throws Exception {
    // Train and dev differ here: dev is the first six sentences, train the last six.
    Path dir = home.resolve("data-split");
    Files.createDirectories(dir.resolve("16-1"));
    StringBuilder dev = new StringBuilder("sentence\tlabel\n");
    StringBuilder train = new StringBuilder("sentence\tlabel\n");
    for (int i = 0; i < TinyRuns.SENTENCES.length; i++) {
      String line = TinyRuns.SENTENCES[i][0] + "\t" + TinyRuns.SENTENCES[i][1] + "\n";
      if (i < 6) {
        dev.append(line);
      }
      if (i >= 2) {
        train.append(line);
      }
    }
    Files.writeString(dir.resolve("16-1/dev.tsv"), dev);
    Files.writeString(dir.resolve("16-1/train.tsv"), train);
    Files.writeString(dir.resolve("test.tsv"), dev);
    RunSpec base = shortRunSpec(8);
    TaskSpec.Builder task = base.getTask().toBuilder();
    task.getClassificationBuilder().getDataBuilder().getFewShotBuilder().setDir("data-split");
    Run started = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(base.toBuilder().setTask(task)).build());
    List<RunEvent> events = watch(started.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo(),
        events.toString());

    RewardGrpc.RewardBlockingStub reward = rewardStub();
    String handle = registerTask(reward, started);
    List<ScoredPrompt> evaluated = events.stream()
        .filter(e -> e.hasEvaluation() && e.getEvaluation().getSplit() == Split.SPLIT_DEV)
        .map(e -> e.getEvaluation().getPrompt()).toList();
    assertFalse(evaluated.isEmpty());
    for (ScoredPrompt p : evaluated) {
      double trainAccuracy = reward.evaluate(EvaluateRequest.newBuilder().setHandle(handle)
          .setSplit(Split.SPLIT_TRAIN).addPrompts(p.getPrompt()).build())
          .getEvaluations(0).getAccuracy();
      assertTrue(p.hasSelectionScore());
      assertEquals((6 * p.getDevScore() + 6 * trainAccuracy) / 12, p.getSelectionScore(), 1e-4,
          p.getPrompt().getText());
    }
    ScoredPrompt output = get(started.getId()).getBestPrompts(0);
    for (ScoredPrompt p : evaluated) {
      assertTrue(output.getSelectionScore() >= p.getSelectionScore(), "the output prompt ranks "
          + "first by selection score: " + output + " vs " + p);
    }
  }

  @Test
  void runsThatFailAtOnceFreeTheirSlotsAndRefusedRunsLeaveNoRecord() throws Exception {
    // A reward that registers (so StartRun accepts the run) and fails every Score: the run
    // fails in its first step.
    RunSpec failing = spec(Method.METHOD_PIN, 4).toBuilder()
        .setTask(dev.pin.v1.TaskSpec.newBuilder().setCustom(dev.pin.v1.CustomTask.newBuilder()
            .setRewardFunction(FailingReward.NAME)))
        .build();
    List<Thread> clients = new ArrayList<>();
    java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
    for (int i = 0; i < 4 * 6; i++) { // six times orchestrator.max-active-runs, 8 at a time
      Thread t = new Thread(() -> {
        try {
          orchestrator.startRun(StartRunRequest.newBuilder().setSpec(failing).build());
        } catch (StatusRuntimeException e) {
          assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
          refused.incrementAndGet();
        }
      });
      clients.add(t);
      t.start();
      if (clients.size() % 8 == 0) {
        for (Thread c : clients) {
          c.join();
        }
      }
    }
    for (Thread c : clients) {
      c.join();
    }
    // Every stored run ends FAILED (none PENDING), and the slots are free again.
    Await.until("every stored run FAILED", Duration.ofSeconds(60), () -> orchestrator.listRuns(
        ListRunsRequest.newBuilder().setPageSize(1000).build()).getRunsList().stream()
        .allMatch(r -> r.getState() == RunState.RUN_STATE_FAILED));
    int stored = orchestrator.listRuns(ListRunsRequest.newBuilder().setPageSize(1000).build())
        .getRunsCount();
    assertEquals(24, stored + refused.get(), "every StartRun either stored a run or was refused");
    Run ok = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(spec(Method.METHOD_RLPROMPT, 4)).build());
    List<RunEvent> events = watch(ok.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo());
  }
}
