package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.testing.Await;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PezConfig;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.StepMetrics;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEZ (ALGORITHMS.md §7.1) as the third method of the run contract, end to end in embedded mode
 * on the tiny random BERT: a run trains through the same run store, WatchRun, evaluations and
 * checkpoints as RLPrompt and PIN, resumes from its checkpoint exactly, and a bad PEZ field is
 * refused by StartRun with its path.
 */
class PezRunTest {
  @TempDir Path home;
  private TinyRuns.Ensemble tiny;
  private OrchestratorGrpc.OrchestratorBlockingStub orchestrator;

  @BeforeEach
  void start() throws Exception {
    tiny = TinyRuns.Ensemble.start(home, "pez");
    orchestrator = tiny.orchestrator();
  }

  @AfterEach
  void stop() {
    tiny.close();
  }

  /** The tiny classification run with method pez: L = 3, evaluated and checkpointed every 4. */
  private static RunSpec pez(long steps) {
    return TinyRuns.spec(Method.METHOD_PEZ, steps).toBuilder().clearPolicy()
        .clearPromptsPerStep().setPez(PezConfig.newBuilder().setPromptLength(3)).build();
  }

  @Test
  void aPezRunCompletesIsStoredAndResumesFromItsCheckpointExactly() {
    Run straight = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(pez(12)).build());
    PezConfig effective = straight.getSpec().getPolicy().getPez();
    assertEquals(3, effective.getPromptLength());
    assertEquals(0.3f, effective.getLearningRate(), "§7.1's LM default");
    assertEquals(0.1f, effective.getWeightDecay());
    assertEquals("tiny-bert", straight.getSpec().getPolicy().getBackbone().getName(),
        "PEZ differentiates through the task model");
    assertEquals(1, straight.getSpec().getPromptsPerStep());
    List<RunEvent> events = tiny.watch(straight.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo(),
        events.toString());
    List<StepMetrics> straightSteps = TinyRuns.steps(events);
    assertEquals(12, straightSteps.size());
    for (StepMetrics s : straightSteps) {
      assertTrue(s.getLoss() > 0 && Double.isFinite(s.getLoss()), "the task loss: " + s);
      assertFalse(s.getWarmingUp());
    }
    assertTrue(events.stream().anyMatch(RunEvent::hasEvaluation));
    assertTrue(events.stream().anyMatch(RunEvent::hasCheckpoint));
    Run done = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(straight.getId()).build());
    assertEquals(12, done.getStep());
    assertFalse(done.getBestPromptsList().isEmpty());
    for (ScoredPrompt p : done.getBestPromptsList()) {
      assertTrue(p.getTested(), "best prompts are re-evaluated on test");
      assertEquals(3, p.getPrompt().getTokenIdsCount());
      // §7.2: the continuous prompt behind the projection, and how faithful the projection is.
      assertEquals(3, p.getContinuousPrompt().getRows());
      assertEquals(3 * p.getContinuousPrompt().getWidth(),
          p.getContinuousPrompt().getValuesCount());
      assertTrue(p.hasFaithfulness(), p.toString());
      assertFalse(p.hasTestFaithfulness(), "PEZ's test score is the reward service's; its test "
          + "faithfulness is not computed");
    }
    List<dev.pin.v1.EvaluationResult> devEvaluations = events.stream()
        .filter(RunEvent::hasEvaluation).map(RunEvent::getEvaluation)
        .filter(e -> e.getSplit() == dev.pin.v1.Split.SPLIT_DEV).toList();
    assertEquals(3, devEvaluations.size(), "steps 4, 8 and 12");
    for (dev.pin.v1.EvaluationResult e : devEvaluations) {
      dev.pin.v1.PromptFaithfulness f = e.getPrompt().getFaithfulness();
      assertEquals(TinyRuns.SENTENCES.length, f.getExamples(), e.toString());
      assertTrue(f.getAgreement() >= 0 && f.getAgreement() <= 1, e.toString());
      assertFalse(e.getPrompt().hasContinuousPrompt(), "events leave the vectors out");
    }
    assertTrue(done.getProvenanceMap().get("faithfulness_model").startsWith("the policy "
        + "service's float32 PyTorch rebuild of the task model tiny-bert"));
    assertEquals("METHOD_PEZ", done.getProvenanceMap().get("method"));

    // The same spec stopped at 8 steps (its final checkpoint), then resumed for 4 more, trains
    // the same steps 9-12 as the uninterrupted run: P and AdamW's moments were restored.
    Run first = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(pez(8)).build());
    tiny.watch(first.getId());
    // The event stream ends with COMPLETED a moment before the run's thread lets it go (it frees
    // the policy last); until then ResumeRun says the run is still running here.
    Await.until("the completed run to be resumable", Duration.ofSeconds(30), () -> {
      try {
        orchestrator.resumeRun(ResumeRunRequest.newBuilder().setRunId(first.getId())
            .setExtraSteps(4).build());
        return true;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
          throw e;
        }
        return false;
      }
    });
    Await.until("the resumed run to complete 12 steps", Duration.ofSeconds(120), () -> {
      Run r = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(first.getId()).build());
      return r.getStep() == 12 && r.getState() == RunState.RUN_STATE_COMPLETED;
    });
    List<RunEvent> resumed = tiny.watch(first.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED,
        resumed.get(resumed.size() - 1).getState().getTo(), resumed.toString());
    assertTrue(resumed.stream().anyMatch(e -> e.getMessage().contains("resumed from the "
        + "checkpoint at step 8")), resumed.toString());
    List<StepMetrics> resumedSteps = TinyRuns.steps(resumed);
    assertEquals(12, resumedSteps.size());
    for (int i = 0; i < 12; i++) {
      assertEquals(straightSteps.get(i).getStep(), resumedSteps.get(i).getStep());
      assertEquals(straightSteps.get(i).getLoss(), resumedSteps.get(i).getLoss(), 1e-6,
          "step " + (i + 1));
      assertEquals(straightSteps.get(i).getRewardMean(), resumedSteps.get(i).getRewardMean(),
          1e-6, "the same projected prompt at step " + (i + 1));
    }
  }

  /** §7.3: a run with the fluency mix says which LM and convention its NLL is. */
  @Test
  void aFluencyMixRunSaysWhichNllItTrainsOn() {
    Run started = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(pez(2).toBuilder()
        .setPez(PezConfig.newBuilder().setPromptLength(3).setFluencyWeight(0.5f))).build());
    List<RunEvent> events = tiny.watch(started.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo(),
        events.toString());
    assertTrue(TinyRuns.steps(events).stream().allMatch(s -> s.getLoss() > 0));
    String nll = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(started.getId())
        .build()).getProvenanceMap().get("pez_fluency_nll");
    assertTrue(nll != null && nll.startsWith("pseudo-log-likelihood of the prompt under the task "
        + "model tiny-bert"), String.valueOf(nll));
  }

  private StatusRuntimeException refused(RunSpec spec) {
    return assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(spec).build()));
  }

  @Test
  void badPezFieldsAreInvalidArgumentsNamingTheirPath() {
    PezConfig base = PezConfig.newBuilder().setPromptLength(3).build();
    Object[][] cases = {
        {base.toBuilder().setLearningRate(0), "spec.pez.learning_rate: "},
        {base.toBuilder().setLearningRate(-0.1f), "spec.pez.learning_rate: "},
        {base.toBuilder().setFluencyWeight(1.5f), "spec.pez.fluency_weight: "},
        {base.toBuilder().setFluencyWeight(-0.5f), "spec.pez.fluency_weight: "},
        {base.toBuilder().setPromptLength(0), "spec.pez.prompt_length: "},
        {base.toBuilder().setWeightDecay(-1), "spec.pez.weight_decay: "}};
    for (Object[] c : cases) {
      StatusRuntimeException e = refused(pez(4).toBuilder()
          .setPez((PezConfig.Builder) c[0]).build());
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
      assertTrue(e.getStatus().getDescription().contains((String) c[1]),
          c[1] + " in " + e.getStatus().getDescription());
    }
    // A task model with no gradient path here: a causal LM (the policy service's refusal, named
    // as the spec's field).
    RunSpec causal = pez(4);
    causal = causal.toBuilder().setTask(causal.getTask().toBuilder().setClassification(
        causal.getTask().getClassification().toBuilder()
            .setTaskModel(ModelRef.newBuilder().setName("tiny-gpt2")))).build();
    StatusRuntimeException e = refused(causal);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getDescription().contains("spec.task.classification.task_model: "
        + "PEZ (§7.1) needs gradients through the task model, and 'tiny-gpt2' is a gpt2-clm"),
        e.getStatus().getDescription());
    // Method-specific: PEZ has no policy network and trains one prompt.
    StatusRuntimeException policy = refused(TinyRuns.spec(Method.METHOD_PEZ, 4));
    assertTrue(policy.getStatus().getDescription().startsWith("spec.policy: PEZ"));
    StatusRuntimeException batch = refused(pez(4).toBuilder().setPromptsPerStep(4).build());
    assertTrue(batch.getStatus().getDescription().contains("spec.prompts_per_step: PEZ trains "
        + "one prompt"), batch.getStatus().getDescription());
    assertTrue(orchestrator.listRuns(dev.pin.v1.ListRunsRequest.getDefaultInstance())
        .getRunsList().isEmpty(), "refused runs leave no record");
  }
}
