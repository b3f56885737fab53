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
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.PezConfig;
import dev.pin.v1.PromptFaithfulness;
import dev.pin.v1.SoftPromptConfig;
import dev.pin.v1.Split;
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
 * Soft prompts (Lester et al. 2021, prompt tuning: PEZ's continuous prompt and loss with no
 * projection) as a method of the run contract, end to end in embedded mode on the tiny random
 * BERT: a run trains through the same run store, WatchRun, evaluations and checkpoints as PEZ; its
 * dev and test scores are its continuous prompt's (the policy service's), every evaluation records
 * the faithfulness of the projection, the best prompts keep their vectors, a resumed run takes the
 * same steps as an uninterrupted one, and bad fields are refused by path.
 */
class SoftPromptRunTest {
  @TempDir Path home;
  private TinyRuns.Ensemble tiny;
  private OrchestratorGrpc.OrchestratorBlockingStub orchestrator;

  @BeforeEach
  void start() throws Exception {
    tiny = TinyRuns.Ensemble.start(home, "soft");
    orchestrator = tiny.orchestrator();
  }

  @AfterEach
  void stop() {
    tiny.close();
  }

  /** The tiny classification run with method soft_prompt: L = 3, evaluated every 4 steps. */
  private static RunSpec soft(long steps) {
    return TinyRuns.spec(Method.METHOD_SOFT_PROMPT, steps).toBuilder().clearPolicy()
        .clearPromptsPerStep().setSoftPrompt(SoftPromptConfig.newBuilder().setPromptLength(3))
        .build();
  }

  private static List<EvaluationResult> evaluations(List<RunEvent> events, Split split) {
    return events.stream().filter(RunEvent::hasEvaluation).map(RunEvent::getEvaluation)
        .filter(e -> e.getSplit() == split).toList();
  }

  @Test
  void aSoftPromptRunIsScoredAsItsVectorsKeepsThemAndResumesExactly() {
    Run straight = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(soft(12)).build());
    SoftPromptConfig effective = straight.getSpec().getPolicy().getSoftPrompt();
    assertEquals(3, effective.getPromptLength());
    assertEquals(0.3f, effective.getLearningRate(), "PEZ's LM default");
    assertEquals(0.1f, effective.getWeightDecay());
    assertEquals("tiny-bert", straight.getSpec().getPolicy().getBackbone().getName());
    assertEquals(1, straight.getSpec().getPromptsPerStep());
    List<RunEvent> events = tiny.watch(straight.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo(),
        events.toString());
    List<StepMetrics> straightSteps = TinyRuns.steps(events);
    assertEquals(12, straightSteps.size());
    for (StepMetrics s : straightSteps) {
      assertTrue(s.getLoss() > 0 && Double.isFinite(s.getLoss()), "the task loss: " + s);
      assertTrue(s.hasContinuousTrainAccuracy(), s.toString());
      assertTrue(s.getContinuousTrainAccuracy() >= 0 && s.getContinuousTrainAccuracy() <= 100);
    }
    List<EvaluationResult> dev = evaluations(events, Split.SPLIT_DEV);
    assertEquals(3, dev.size(), "steps 4, 8 and 12");
    for (EvaluationResult e : dev) {
      PromptFaithfulness f = e.getPrompt().getFaithfulness();
      assertEquals(Split.SPLIT_DEV, f.getSplit());
      assertEquals(TinyRuns.SENTENCES.length, f.getExamples());
      assertEquals(f.getContinuousScore(), e.getPrompt().getDevScore(), 0.0,
          "a soft prompt's dev score is its continuous prompt's");
      assertTrue(f.getAgreement() >= 0 && f.getAgreement() <= 1);
      assertTrue(f.getMeanRowCosine() < 1, "trained vectors are off the token embeddings");
      assertEquals(3, e.getPrompt().getPrompt().getTokenIdsCount(), "the projection's text");
      assertFalse(e.getPrompt().hasContinuousPrompt(), "events leave the vectors out");
    }
    List<EvaluationResult> test = evaluations(events, Split.SPLIT_TEST);
    assertFalse(test.isEmpty());
    Run done = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(straight.getId()).build());
    assertEquals(12, done.getStep());
    assertEquals(test.size(), done.getBestPromptsCount());
    for (ScoredPrompt p : done.getBestPromptsList()) {
      assertTrue(p.getTested());
      assertEquals(Split.SPLIT_TEST, p.getTestFaithfulness().getSplit());
      assertEquals(p.getTestFaithfulness().getContinuousScore(), p.getTestScore(), 0.0,
          "a soft prompt's test score is its continuous prompt's");
      assertEquals(3, p.getContinuousPrompt().getRows());
      assertEquals(3 * p.getContinuousPrompt().getWidth(),
          p.getContinuousPrompt().getValuesCount());
      // The tiny run's dev and test sentences are the same eight: so are the two comparisons.
      assertEquals(p.getFaithfulness().toBuilder().setSplit(Split.SPLIT_TEST).build(),
          p.getTestFaithfulness(), "the kept vectors are the ones evaluated on dev");
    }
    assertEquals(done.getBestPromptsCount(), done.getBestPromptsList().stream()
        .map(ScoredPrompt::getStep).distinct().count(), "one entry per evaluated step");
    assertEquals("METHOD_SOFT_PROMPT", done.getProvenanceMap().get("method"));
    assertTrue(done.getProvenanceMap().get("faithfulness_model").contains("the soft prompt's "
        + "dev and test scores are the continuous prompt's"));
    Run summary = orchestrator.listRuns(ListRunsRequest.getDefaultInstance()).getRuns(0);
    assertFalse(summary.getBestPrompts(0).hasContinuousPrompt(), "summaries leave out bulk");

    // Stopped at 8 steps (its final checkpoint), then resumed for 4 more: the same steps 9-12.
    Run first = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(soft(8)).build());
    tiny.watch(first.getId());
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
    assertTrue(resumed.stream().anyMatch(e -> e.getMessage().contains("resumed from the "
        + "checkpoint at step 8")), resumed.toString());
    List<StepMetrics> resumedSteps = TinyRuns.steps(resumed);
    assertEquals(12, resumedSteps.size());
    for (int i = 0; i < 12; i++) {
      StepMetrics a = straightSteps.get(i);
      StepMetrics b = resumedSteps.get(i);
      assertEquals(a.getStep(), b.getStep());
      assertEquals(a.getLoss(), b.getLoss(), 1e-6, "step " + (i + 1));
      assertEquals(a.getContinuousTrainAccuracy(), b.getContinuousTrainAccuracy(), 1e-9);
      assertEquals(a.getRewardMean(), b.getRewardMean(), 1e-6, "the same projection");
    }
    List<EvaluationResult> resumedDev = evaluations(resumed, Split.SPLIT_DEV);
    assertEquals(dev.get(2).getPrompt().getFaithfulness(),
        resumedDev.get(resumedDev.size() - 1).getPrompt().getFaithfulness(),
        "the same continuous prompt at step 12");
  }

  /**
   * With evaluation.select_on_train_and_dev a soft prompt's selection score is its continuous
   * prompt's accuracy on the training and dev sentences together, from the policy service (the
   * tiny run's two splits are the same eight sentences: the selection score is the dev score).
   */
  @Test
  void selectionOnTrainAndDevScoresTheContinuousPromptOnBoth() {
    RunSpec spec = soft(4).toBuilder().setEvaluation(soft(4).getEvaluation().toBuilder()
        .setSelectOnTrainAndDev(true)).build();
    List<RunEvent> events = tiny.watch(orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(spec).build()).getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo(),
        events.toString());
    List<EvaluationResult> dev = evaluations(events, Split.SPLIT_DEV);
    assertEquals(1, dev.size());
    ScoredPrompt p = dev.get(0).getPrompt();
    assertTrue(p.hasSelectionScore(), p.toString());
    assertEquals(p.getFaithfulness().getContinuousScore(), p.getSelectionScore(), 1e-9);
  }

  private StatusRuntimeException refused(RunSpec spec) {
    return assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(spec).build()));
  }

  @Test
  void badSoftPromptFieldsAreInvalidArgumentsNamingTheirPath() {
    SoftPromptConfig base = SoftPromptConfig.newBuilder().setPromptLength(3).build();
    Object[][] cases = {
        {base.toBuilder().setLearningRate(0), "spec.soft_prompt.learning_rate: "},
        {base.toBuilder().setLearningRate(-0.1f), "spec.soft_prompt.learning_rate: "},
        {base.toBuilder().setPromptLength(0), "spec.soft_prompt.prompt_length: "},
        {base.toBuilder().setPromptLength(65), "spec.soft_prompt.prompt_length: "},
        {base.toBuilder().setWeightDecay(-1), "spec.soft_prompt.weight_decay: "},
        // Passes the orchestrator's range, not the policy service's lr·wd < 1 (named as spec's).
        {base.toBuilder().setLearningRate(2).setWeightDecay(0.6f),
            "spec.soft_prompt.weight_decay: must be 0 or more with learning_rate·weight_decay"}};
    for (Object[] c : cases) {
      StatusRuntimeException e = refused(soft(4).toBuilder()
          .setSoftPrompt((SoftPromptConfig.Builder) c[0]).build());
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
      assertTrue(e.getStatus().getDescription().contains((String) c[1]),
          c[1] + " in " + e.getStatus().getDescription());
    }
    RunSpec causal = soft(4);
    causal = causal.toBuilder().setTask(causal.getTask().toBuilder().setClassification(
        causal.getTask().getClassification().toBuilder()
            .setTaskModel(ModelRef.newBuilder().setName("tiny-gpt2")))).build();
    StatusRuntimeException e = refused(causal);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getDescription().contains("spec.task.classification.task_model: "
        + "a soft prompt (prompt tuning) needs gradients through the task model, and "
        + "'tiny-gpt2' is a gpt2-clm"), e.getStatus().getDescription());
    StatusRuntimeException policy = refused(TinyRuns.spec(Method.METHOD_SOFT_PROMPT, 4));
    assertTrue(policy.getStatus().getDescription().startsWith("spec.policy: a soft prompt"),
        policy.getStatus().getDescription());
    StatusRuntimeException sampled = refused(soft(4).toBuilder().setEvaluation(
        soft(4).getEvaluation().toBuilder().setAlsoBestSampled(true)).build());
    assertTrue(sampled.getStatus().getDescription().contains(
        "spec.evaluation.also_best_sampled: "), sampled.getStatus().getDescription());
    StatusRuntimeException pez = refused(soft(4).toBuilder()
        .setPez(PezConfig.newBuilder().setPromptLength(3)).build());
    assertTrue(pez.getStatus().getDescription().contains("spec.pez: is PEZ's"),
        pez.getStatus().getDescription());
    assertTrue(orchestrator.listRuns(ListRunsRequest.getDefaultInstance()).getRunsList()
        .isEmpty(), "refused runs leave no record");
  }
}
