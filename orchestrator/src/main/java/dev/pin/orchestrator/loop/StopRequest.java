package dev.pin.orchestrator.loop;

import dev.pin.v1.RunState;

/** Why a running loop should stop after its current step, and the state it should end in. */
enum StopRequest {
  /** CancelRun: end CANCELLED. */
  CANCEL(RunState.RUN_STATE_CANCELLED, "cancelled by request"),
  /** The orchestrator is shutting down: end INTERRUPTED, resumable. */
  SHUTDOWN(RunState.RUN_STATE_INTERRUPTED, "the orchestrator stopped; resume with ResumeRun");

  final RunState state;
  final String reason;

  StopRequest(RunState state, String reason) {
    this.state = state;
    this.reason = reason;
  }
}
