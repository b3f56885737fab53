package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.Prompt;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunState;
import dev.pin.v1.RunStateChange;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StepMetrics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What RunProgress prints and the state it reports at the end of a stream, which is pin train's
 * exit status.
 */
class RunProgressTest {
  private static final List<RunEvent> COMPLETED_RUN = List.of(
      state(RunState.RUN_STATE_UNSPECIFIED, RunState.RUN_STATE_PENDING),
      state(RunState.RUN_STATE_PENDING, RunState.RUN_STATE_RUNNING),
      RunEvent.newBuilder().setSequence(3)
          .setStep(StepMetrics.newBuilder().setStep(1).setRewardMean(2.5)).build(),
      state(RunState.RUN_STATE_RUNNING, RunState.RUN_STATE_EVALUATING),
      state(RunState.RUN_STATE_EVALUATING, RunState.RUN_STATE_COMPLETED));

  private static RunEvent state(RunState from, RunState to) {
    return RunEvent.newBuilder()
        .setState(RunStateChange.newBuilder().setFrom(from).setTo(to).setReason("test")).build();
  }

  private static RunState follow(boolean json, ByteArrayOutputStream sink) {
    PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
    return new RunProgress(out, json, 1).follow(COMPLETED_RUN.iterator());
  }

  @Test
  void jsonModeReportsTheLastStateLikeTextMode() {
    // deploy/ci/compose-test.sh follows a run with pin train --json and reads its exit status.
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    assertEquals(RunState.RUN_STATE_COMPLETED, follow(true, json));
    String[] lines = json.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(COMPLETED_RUN.size(), lines.length);
    assertTrue(lines[4].contains("RUN_STATE_COMPLETED"), lines[4]);

    assertEquals(RunState.RUN_STATE_COMPLETED, follow(false, new ByteArrayOutputStream()));
  }

  @Test
  void stateLinesNameTheChangeAndTheFirstComesFromNoState() {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    follow(false, text);
    List<String> states = text.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith("state ")).toList();
    assertEquals(List.of("state pending: test", "state pending -> running: test",
        "state running -> evaluating: test", "state evaluating -> completed: test"), states);
  }

  @Test
  void aStreamThatEndsWhileRunningIsNotCompleted() {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    RunState end = new RunProgress(new PrintStream(sink, true, StandardCharsets.UTF_8), true, 1)
        .follow(COMPLETED_RUN.subList(0, 3).iterator());
    assertEquals(RunState.RUN_STATE_RUNNING, end);
  }

  private static RunEvent at(long second, RunEvent.Builder e) {
    return e.setTime(Timestamp.newBuilder().setSeconds(1_700_000_000L + second)).build();
  }

  private static RunEvent.Builder step(long step) {
    return RunEvent.newBuilder().setStep(StepMetrics.newBuilder().setStep(step).setRewardMean(1)
        .setStepTime(com.google.protobuf.Duration.newBuilder().setSeconds(3)));
  }

  private static RunEvent.Builder dev(long step, double score) {
    return RunEvent.newBuilder().setEvaluation(EvaluationResult.newBuilder().setStep(step)
        .setSplit(Split.SPLIT_DEV).setPrompt(ScoredPrompt.newBuilder().setDevScore(score)
            .setPrompt(Prompt.newBuilder().setText("p" + step))));
  }

  private static List<String> lines(List<RunEvent> events, long maxSteps) {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    new RunProgress(new PrintStream(sink, true, StandardCharsets.UTF_8), false, maxSteps, false,
        Duration.ofSeconds(10)).follow(events.iterator());
    return sink.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void withoutATerminalAStepLineComesAtLeastEveryIntervalAndEveryEvaluationHasItsLine() {
    // 100 steps of 3 s from t = 0 after the state change at t = 0, a dev evaluation every 20.
    List<RunEvent> events = new ArrayList<>();
    events.add(at(0, RunEvent.newBuilder().setState(RunStateChange.newBuilder()
        .setFrom(RunState.RUN_STATE_PENDING).setTo(RunState.RUN_STATE_RUNNING))));
    for (long s = 1; s <= 100; s++) {
      events.add(at(3 * s, step(s)));
      if (s % 20 == 0) {
        events.add(at(3 * s, dev(s, s == 40 ? 80 : 50)));
      }
    }
    List<String> out = lines(events, 100);
    List<String> steps = out.stream().filter(l -> l.startsWith("step ")).toList();
    // Step 1, then each step at least 10 s after the last printed one (every 4th), and step 100.
    assertEquals("step 1/100", steps.get(0).substring(0, 10));
    assertTrue(steps.get(1).startsWith("step 5/100 "), steps.get(1));
    assertTrue(steps.get(2).startsWith("step 9/100 "), steps.get(2));
    assertTrue(steps.get(steps.size() - 1).startsWith("step 100/100 "), steps.toString());
    assertEquals(26, steps.size(), steps.toString());
    assertEquals(5, out.stream().filter(l -> l.startsWith("dev at step ")).count(), out.toString());

    // Elapsed time since training started, and the ETA from the rate so far: at step 5, 15 s
    // for 5 steps, so 95 steps more take 4:45.
    assertTrue(steps.get(1).endsWith("| 0:15 elapsed, ETA 4:45"), steps.get(1));
    assertTrue(steps.get(steps.size() - 1).endsWith("| 5:00 elapsed"), "no ETA at the end");
    // The latest dev score and the best so far (80 at step 40, 50 since).
    String afterBest = steps.stream().filter(l -> l.startsWith("step 61/")).findFirst()
        .orElseThrow();
    assertTrue(afterBest.contains("| dev 50.0% (best 80.0%) |"), afterBest);
  }

  @Test
  void aResumeStartsANewClock() {
    // Steps 1-2 of a first attempt, then a resume at step 2 an hour later: elapsed and the rate
    // count from the resume.
    List<RunEvent> events = List.of(
        at(0, RunEvent.newBuilder().setState(RunStateChange.newBuilder()
            .setFrom(RunState.RUN_STATE_PENDING).setTo(RunState.RUN_STATE_RUNNING))),
        at(3, step(1)), at(6, step(2)),
        at(7, RunEvent.newBuilder().setState(RunStateChange.newBuilder()
            .setFrom(RunState.RUN_STATE_RUNNING).setTo(RunState.RUN_STATE_FAILED))),
        at(3600, RunEvent.newBuilder().setState(RunStateChange.newBuilder()
            .setFrom(RunState.RUN_STATE_FAILED).setTo(RunState.RUN_STATE_RUNNING))),
        at(3610, step(3)));
    String resumed = lines(events, 12).stream().filter(l -> l.startsWith("step 3/"))
        .findFirst().orElseThrow();
    assertTrue(resumed.endsWith("| 0:10 elapsed, ETA 1:30"), resumed);
  }

  @Test
  void clockShowsHoursFromAnHourOn() {
    assertEquals("0:07", RunProgress.clock(Duration.ofSeconds(7)));
    assertEquals("59:59", RunProgress.clock(Duration.ofSeconds(3599)));
    assertEquals("1:00:05", RunProgress.clock(Duration.ofSeconds(3605)));
  }

  /** PEZ and soft prompts: an evaluation line says how faithful the projection is (§7.2). */
  @Test
  void anEvaluationWithFaithfulnessComparesTheContinuousPromptAndItsProjection() {
    RunEvent e = RunEvent.newBuilder().setEvaluation(EvaluationResult.newBuilder().setStep(4)
        .setSplit(Split.SPLIT_DEV).setPrompt(ScoredPrompt.newBuilder().setDevScore(75)
            .setPrompt(Prompt.newBuilder().setText("great so"))
            .setFaithfulness(dev.pin.v1.PromptFaithfulness.newBuilder().setContinuousScore(75)
                .setProjectionScore(62.5).setAgreement(0.8125)))).build();
    assertEquals(List.of("dev at step 4: \"great so\" dev 75.0; continuous 75.0 vs projection "
        + "62.5, agreement 0.81"), lines(List.of(e), 10));
  }
}
