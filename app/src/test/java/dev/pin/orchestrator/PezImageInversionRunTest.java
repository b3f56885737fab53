package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.testing.Await;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.Budget;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluationConfig;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ImageFolder;
import dev.pin.v1.ImageInversionTask;
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
import dev.pin.v1.TaskSpec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEZ's image inversion (ALGORITHMS.md §7.1) end to end in embedded mode on the tiny random CLIP
 * and three small generated target images: a {@code method: pez} run through the same run store,
 * WatchRun, evaluations (the reward service's CLIP score, §6.3) and checkpoints as the RL
 * methods, which learns toward its targets, resumes from its checkpoint exactly, and whose
 * impossible fields StartRun refuses with their paths.
 */
class PezImageInversionRunTest {
  @TempDir Path home;
  private TinyRuns.Ensemble tiny;
  private OrchestratorGrpc.OrchestratorBlockingStub orchestrator;

  @BeforeEach
  void start() throws Exception {
    TinyModels.clip(home.resolve("models").resolve("tiny-clip"), 5);
    Path images = Files.createDirectories(home.resolve("images"));
    for (int i = 0; i < 3; i++) {
      // Smooth colour fields of different hues and aspect ratios (resize and crop both matter).
      BufferedImage img = new BufferedImage(24 + 4 * i, 20, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < img.getHeight(); y++) {
        for (int x = 0; x < img.getWidth(); x++) {
          img.setRGB(x, y, ((40 * i + 6 * x) & 0xff) << 16 | ((200 - 5 * y) & 0xff) << 8
              | ((90 * i + 3 * (x + y)) & 0xff));
        }
      }
      ImageIO.write(img, "png", images.resolve("target-" + i + ".png").toFile());
    }
    tiny = TinyRuns.Ensemble.start(home, "pez-clip");
    orchestrator = tiny.orchestrator();
  }

  @AfterEach
  void stop() {
    tiny.close();
  }

  /** PEZ on the tiny CLIP's image inversion: L = 4, evaluated and checkpointed every 4 steps. */
  private static RunSpec pez(long steps) {
    return RunSpec.newBuilder()
        .setName("pez-clip")
        .setMethod(Method.METHOD_PEZ)
        .setSeed(5)
        .setTask(TaskSpec.newBuilder().setImageInversion(ImageInversionTask.newBuilder()
            .setClip(ModelRef.newBuilder().setName("tiny-clip"))
            .setData(DataSource.newBuilder().setImageFolder(ImageFolder.newBuilder()
                .setDir("images")))))
        .setPez(PezConfig.newBuilder().setPromptLength(4))
        .setBudget(Budget.newBuilder().setMaxSteps(steps))
        .setEvaluation(EvaluationConfig.newBuilder().setEverySteps(4).setTopPrompts(2))
        .setCheckpointEverySteps(4)
        .build();
  }

  @Test
  void aPezImageInversionRunLearnsIsStoredAndResumesFromItsCheckpointExactly() {
    Run straight = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(pez(16)).build());
    PezConfig effective = straight.getSpec().getPolicy().getPez();
    assertEquals(4, effective.getPromptLength());
    assertEquals(0.1f, effective.getLearningRate(), "§7.1's CLIP default");
    assertEquals(0.1f, effective.getWeightDecay());
    assertEquals("tiny-clip", straight.getSpec().getPolicy().getBackbone().getName(),
        "PEZ differentiates through the task's CLIP");
    assertEquals(1, straight.getSpec().getPromptsPerStep());
    List<RunEvent> events = tiny.watch(straight.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, events.get(events.size() - 1).getState().getTo(),
        events.toString());
    List<StepMetrics> straightSteps = TinyRuns.steps(events);
    assertEquals(16, straightSteps.size());
    double firstLoss = straightSteps.get(0).getLoss();
    double bestLoss = Double.POSITIVE_INFINITY;
    for (StepMetrics s : straightSteps) {
      // 1 − mean cos lies in [0, 2]; the reward is the projection's CLIP score (§6.3).
      assertTrue(s.getLoss() > 0 && s.getLoss() < 2, "the image-inversion loss: " + s);
      assertTrue(s.getRewardMean() >= -1 && s.getRewardMean() <= 1, s.toString());
      assertFalse(s.getWarmingUp());
      bestLoss = Math.min(bestLoss, s.getLoss());
    }
    System.out.printf("PEZ image inversion on the tiny CLIP: loss %.4f at step 1, best %.4f in"
        + " 16 steps%n", firstLoss, bestLoss);
    assertTrue(bestLoss < firstLoss, "PEZ learns toward its targets: " + firstLoss + " -> "
        + bestLoss);
    assertTrue(events.stream().anyMatch(RunEvent::hasCheckpoint));
    List<dev.pin.v1.EvaluationResult> devEvaluations = events.stream()
        .filter(RunEvent::hasEvaluation).map(RunEvent::getEvaluation)
        .filter(e -> e.getSplit() == dev.pin.v1.Split.SPLIT_DEV).toList();
    assertEquals(4, devEvaluations.size(), "steps 4, 8, 12 and 16");
    Run done = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(straight.getId()).build());
    assertEquals(16, done.getStep());
    assertFalse(done.getBestPromptsList().isEmpty());
    double initialScore = straightSteps.get(0).getRewardMean();
    ScoredPrompt output = done.getBestPromptsList().get(0);
    for (ScoredPrompt p : done.getBestPromptsList()) {
      assertTrue(p.getTested(), "best prompts are re-evaluated on test");
      assertEquals(4, p.getPrompt().getTokenIdsCount());
      assertFalse(p.hasContinuousPrompt() || p.hasFaithfulness(), "scored as text, by CLIP");
    }
    // §7.1 (6): the output is the best projected prompt seen, at least as close to the targets
    // as the first one.
    System.out.printf("its output prompt \"%s\": CLIP score %.4f (step 1's: %.4f)%n",
        output.getPrompt().getText(), output.getDevScore(), initialScore);
    assertTrue(output.getDevScore() >= initialScore - 1e-6, output + " vs " + initialScore);
    assertTrue(done.getProvenanceMap().get("pez_loss_model").startsWith("the policy service's "
        + "float32 PyTorch rebuild of the text tower of CLIP tiny-clip"),
        done.getProvenanceMap().toString());

    // The same spec stopped at 8 steps (its final checkpoint), then resumed for 8 more, trains
    // the same steps 9-16 as the uninterrupted run: P and AdamW's moments were restored.
    Run first = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(pez(8)).build());
    tiny.watch(first.getId());
    Await.until("the completed run to be resumable", Duration.ofSeconds(30), () -> {
      try {
        orchestrator.resumeRun(ResumeRunRequest.newBuilder().setRunId(first.getId())
            .setExtraSteps(8).build());
        return true;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
          throw e;
        }
        return false;
      }
    });
    Await.until("the resumed run to complete 16 steps", Duration.ofSeconds(120), () -> {
      Run r = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(first.getId()).build());
      return r.getStep() == 16 && r.getState() == RunState.RUN_STATE_COMPLETED;
    });
    List<RunEvent> resumed = tiny.watch(first.getId());
    assertTrue(resumed.stream().anyMatch(e -> e.getMessage().contains("resumed from the "
        + "checkpoint at step 8")), resumed.toString());
    List<StepMetrics> resumedSteps = TinyRuns.steps(resumed);
    assertEquals(16, resumedSteps.size());
    for (int i = 0; i < 16; i++) {
      assertEquals(straightSteps.get(i).getLoss(), resumedSteps.get(i).getLoss(), 1e-6,
          "step " + (i + 1));
      assertEquals(straightSteps.get(i).getRewardMean(), resumedSteps.get(i).getRewardMean(),
          1e-6, "the same projected prompt at step " + (i + 1));
    }
  }

  private StatusRuntimeException refused(RunSpec spec) {
    return assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(spec).build()));
  }

  @Test
  void whatImageInversionCannotTakeIsRefusedByPath() {
    StatusRuntimeException fluent = refused(pez(4).toBuilder()
        .setPez(PezConfig.newBuilder().setPromptLength(4).setFluencyWeight(0.5f)).build());
    assertEquals(Status.Code.INVALID_ARGUMENT, fluent.getStatus().getCode());
    assertTrue(fluent.getStatus().getDescription().contains("spec.pez.fluency_weight: must be 0 "
        + "for image inversion"), fluent.getStatus().getDescription());
    StatusRuntimeException soft = refused(pez(4).toBuilder().clearPez()
        .setMethod(Method.METHOD_SOFT_PROMPT).build());
    assertEquals(Status.Code.INVALID_ARGUMENT, soft.getStatus().getCode());
    assertTrue(soft.getStatus().getDescription().contains("spec.task: a soft prompt trains "
        + "few-shot classification only"), soft.getStatus().getDescription());
    RunSpec missing = pez(4);
    missing = missing.toBuilder().setTask(missing.getTask().toBuilder().setImageInversion(
        missing.getTask().getImageInversion().toBuilder()
            .setClip(ModelRef.newBuilder().setName("no-such-clip")))).build();
    StatusRuntimeException absent = refused(missing);
    assertEquals(Status.Code.FAILED_PRECONDITION, absent.getStatus().getCode(),
        absent.toString());
    assertTrue(absent.getStatus().getDescription().contains("spec.task.image_inversion.clip: "
        + "model 'no-such-clip' is not in the model store"), absent.getStatus().getDescription());
    RunSpec notClip = pez(4);
    notClip = notClip.toBuilder().setTask(notClip.getTask().toBuilder().setImageInversion(
        notClip.getTask().getImageInversion().toBuilder()
            .setClip(ModelRef.newBuilder().setName("tiny-bert")))).build();
    StatusRuntimeException bert = refused(notClip);
    assertEquals(Status.Code.INVALID_ARGUMENT, bert.getStatus().getCode(), bert.toString());
    assertTrue(bert.getStatus().getDescription().contains("spec.task.image_inversion.clip: PEZ "
        + "(§7.1) inverts images through a CLIP's text tower"), bert.getStatus().getDescription());
    assertTrue(orchestrator.listRuns(dev.pin.v1.ListRunsRequest.getDefaultInstance())
        .getRunsList().isEmpty(), "refused runs leave no record");
  }
}
