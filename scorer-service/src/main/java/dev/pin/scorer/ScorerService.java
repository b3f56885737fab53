package dev.pin.scorer;

import dev.pin.platform.grpc.FieldErrors;
import dev.pin.platform.grpc.NotYetAvailable;
import dev.pin.v1.InterpretabilityRequest;
import dev.pin.v1.InterpretabilityResponse;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.NaturalnessResponse;
import dev.pin.v1.Prompt;
import dev.pin.v1.ReportRequest;
import dev.pin.v1.ReportResponse;
import dev.pin.v1.ScorerGrpc;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * The Scorer gRPC service. Requests are validated in full; naturalness, the interpretability
 * proxies and reports are the scorer-service issue's work, so until they land a valid request is
 * answered UNIMPLEMENTED with that reason (never a made-up score).
 */
final class ScorerService extends ScorerGrpc.ScorerImplBase {
  private static final String ARRIVES_WITH = "the scorer-service issue (#7)";
  private static final int MAX_PROMPTS = 4096;

  private final ScorerSettings settings;

  ScorerService(ScorerSettings settings) {
    this.settings = settings;
  }

  private static void prompts(FieldErrors errors, List<Prompt> prompts) {
    errors.range("prompts", prompts.size(), 1, MAX_PROMPTS);
    for (int i = 0; i < prompts.size(); i++) {
      Prompt p = prompts.get(i);
      errors.check(!p.getText().isBlank() || p.getTokenIdsCount() > 0, "prompts[" + i + "]",
          "needs text (naturalness of an empty prompt is undefined)");
    }
  }

  @Override
  public void naturalness(NaturalnessRequest request, StreamObserver<NaturalnessResponse> out) {
    FieldErrors errors = new FieldErrors();
    prompts(errors, request.getPromptsList());
    errors.check(request.getConventionValue() >= 0 && request.getConventionValue() <= 3,
        "convention", "must be a NaturalnessConvention, got %d", request.getConventionValue());
    errors.range("prior_top_k", request.getPriorTopK(), 0, 1 << 20);
    errors.throwIfAny();
    String model = request.getModel().getName().isEmpty()
        ? settings.naturalnessModel() : request.getModel().getName();
    throw NotYetAvailable.of("Naturalness under " + model, ARRIVES_WITH);
  }

  @Override
  public void interpretability(InterpretabilityRequest request,
      StreamObserver<InterpretabilityResponse> out) {
    FieldErrors errors = new FieldErrors();
    prompts(errors, request.getPromptsList());
    errors.check(request.getTransferTaskHandle().isEmpty() || !request.getTaskHandle().isEmpty(),
        "transfer_task_handle", "needs task_handle too (the gain is relative to that task)");
    errors.throwIfAny();
    throw NotYetAvailable.of("The faithfulness and scrutability proxies", ARRIVES_WITH);
  }

  @Override
  public void report(ReportRequest request, StreamObserver<ReportResponse> out) {
    FieldErrors errors = new FieldErrors();
    errors.check(request.getRunsCount() > 0, "runs", "must hold at least one run");
    for (int i = 0; i < request.getRunsCount(); i++) {
      errors.required("runs[" + i + "].run_id", request.getRuns(i).getRunId());
    }
    errors.throwIfAny();
    throw NotYetAvailable.of("Reports", ARRIVES_WITH);
  }
}
