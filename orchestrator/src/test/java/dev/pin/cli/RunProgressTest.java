package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.RunEvent;
import dev.pin.v1.RunState;
import dev.pin.v1.RunStateChange;
import dev.pin.v1.StepMetrics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The state RunProgress reports at the end of a stream, which is pin train's exit status. */
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
  void aStreamThatEndsWhileRunningIsNotCompleted() {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    RunState end = new RunProgress(new PrintStream(sink, true, StandardCharsets.UTF_8), true, 1)
        .follow(COMPLETED_RUN.subList(0, 3).iterator());
    assertEquals(RunState.RUN_STATE_RUNNING, end);
  }
}
