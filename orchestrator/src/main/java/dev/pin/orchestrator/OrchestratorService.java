package dev.pin.orchestrator;

import dev.pin.platform.grpc.FieldErrors;
import dev.pin.platform.grpc.NotYetAvailable;
import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.EvaluatePromptResponse;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.ListRunsResponse;
import dev.pin.v1.Method;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.stub.StreamObserver;

/**
 * The Orchestrator gRPC service, the public API. Requests are validated in full; the episode loop
 * and the run store are the orchestrator issue's work, so until they land a valid request is
 * answered UNIMPLEMENTED with that reason (never a pretend run).
 */
final class OrchestratorService extends OrchestratorGrpc.OrchestratorImplBase {
  private static final String ARRIVES_WITH = "the orchestrator issue (#6)";

  private static void runId(FieldErrors errors, String runId) {
    errors.required("run_id", runId);
  }

  @Override
  public void startRun(StartRunRequest request, StreamObserver<Run> response) {
    FieldErrors errors = new FieldErrors();
    errors.check(request.hasSpec(), "spec", "is required");
    errors.check(request.getSpec().getMethod() != Method.METHOD_UNSPECIFIED
            && request.getSpec().getMethodValue() <= Method.METHOD_PEZ_VALUE,
        "spec.method", "must be METHOD_RLPROMPT, METHOD_PIN or METHOD_PEZ");
    errors.check(request.getSpec().getTask().getTaskCase() != TaskSpec.TaskCase.TASK_NOT_SET,
        "spec.task", "set one of classification, style_transfer, image_inversion or custom");
    errors.range("spec.prompts_per_step", request.getSpec().getPromptsPerStep(), 0, 4096);
    errors.range("spec.budget.max_steps", request.getSpec().getBudget().getMaxSteps(), 0,
        10_000_000);
    errors.range("spec.checkpoint_every_steps", request.getSpec().getCheckpointEverySteps(), 0,
        10_000_000);
    errors.throwIfAny();
    throw NotYetAvailable.of("Training runs", ARRIVES_WITH);
  }

  @Override
  public void watchRun(WatchRunRequest request, StreamObserver<RunEvent> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.range("from_sequence", request.getFromSequence(), 0, Long.MAX_VALUE);
    errors.throwIfAny();
    throw NotYetAvailable.of("The run store behind WatchRun", ARRIVES_WITH);
  }

  @Override
  public void getRun(GetRunRequest request, StreamObserver<Run> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.throwIfAny();
    throw NotYetAvailable.of("The run store behind GetRun", ARRIVES_WITH);
  }

  @Override
  public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> response) {
    FieldErrors errors = new FieldErrors();
    errors.range("page_size", request.getPageSize(), 0, 1000);
    errors.throwIfAny();
    throw NotYetAvailable.of("The run store behind ListRuns", ARRIVES_WITH);
  }

  @Override
  public void cancelRun(CancelRunRequest request, StreamObserver<Run> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.throwIfAny();
    throw NotYetAvailable.of("Cancelling runs", ARRIVES_WITH);
  }

  @Override
  public void resumeRun(ResumeRunRequest request, StreamObserver<Run> response) {
    FieldErrors errors = new FieldErrors();
    runId(errors, request.getRunId());
    errors.range("extra_steps", request.getExtraSteps(), 0, 10_000_000);
    errors.throwIfAny();
    throw NotYetAvailable.of("Resuming runs", ARRIVES_WITH);
  }

  @Override
  public void evaluatePrompt(EvaluatePromptRequest request,
      StreamObserver<EvaluatePromptResponse> response) {
    FieldErrors errors = new FieldErrors();
    errors.check(request.getTask().getTaskCase() != TaskSpec.TaskCase.TASK_NOT_SET, "task",
        "set one of classification, style_transfer, image_inversion or custom");
    errors.check(request.getPromptText().length() <= 4096, "prompt_text",
        "must be at most 4096 characters");
    errors.throwIfAny();
    throw NotYetAvailable.of("Evaluating a prompt", "the reward-service (#5) and orchestrator "
        + "(#6) issues");
  }
}
