package dev.pin.policy;

import dev.pin.platform.grpc.FieldErrors;
import dev.pin.platform.grpc.NotYetAvailable;
import dev.pin.v1.CheckpointRef;
import dev.pin.v1.ComputeLossRequest;
import dev.pin.v1.ComputeLossResponse;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.DropPolicyRequest;
import dev.pin.v1.DropPolicyResponse;
import dev.pin.v1.GetPolicyRequest;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.PolicyInfo;
import dev.pin.v1.PolicySessionRequest;
import dev.pin.v1.PolicySessionResponse;
import dev.pin.v1.SampleRequest;
import dev.pin.v1.SampleResponse;
import dev.pin.v1.SaveCheckpointRequest;
import dev.pin.v1.UpdateRequest;
import dev.pin.v1.UpdateResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * The Policy gRPC service. Requests are validated in full; the Q-network, the §3/§4 losses and
 * checkpoints are the policy-service issue's work, so until they land a valid request is answered
 * UNIMPLEMENTED with that reason (never a made-up sample).
 */
final class PolicyService extends PolicyGrpc.PolicyImplBase {
  private static final String ARRIVES_WITH = "the policy-service issue (#4)";

  private final PolicySettings settings;

  PolicyService(PolicySettings settings) {
    this.settings = settings;
  }

  @Override
  public void createPolicy(CreatePolicyRequest request, StreamObserver<PolicyInfo> response) {
    PolicyRequests.create(request);
    throw NotYetAvailable.of("Creating a policy (backbone " + request.getConfig().getBackbone()
        .getName() + " on " + device(request.getConfig().getDevice()) + ")", ARRIVES_WITH);
  }

  @Override
  public void dropPolicy(DropPolicyRequest request, StreamObserver<DropPolicyResponse> response) {
    FieldErrors errors = new FieldErrors();
    PolicyRequests.runId(errors, "run_id", request.getRunId());
    errors.throwIfAny();
    throw unknownRun(request.getRunId());
  }

  @Override
  public void getPolicy(GetPolicyRequest request, StreamObserver<PolicyInfo> response) {
    FieldErrors errors = new FieldErrors();
    PolicyRequests.runId(errors, "run_id", request.getRunId());
    errors.throwIfAny();
    throw unknownRun(request.getRunId());
  }

  @Override
  public void sample(SampleRequest request, StreamObserver<SampleResponse> response) {
    PolicyRequests.sample(request);
    throw unknownRun(request.getRunId());
  }

  @Override
  public void update(UpdateRequest request, StreamObserver<UpdateResponse> response) {
    PolicyRequests.update(request);
    throw unknownRun(request.getRunId());
  }

  @Override
  public StreamObserver<PolicySessionRequest> session(
      StreamObserver<PolicySessionResponse> response) {
    return new StreamObserver<>() {
      @Override
      public void onNext(PolicySessionRequest request) {
        try {
          switch (request.getRequestCase()) {
            case SAMPLE -> {
              PolicyRequests.sample(request.getSample());
              throw unknownRun(request.getSample().getRunId());
            }
            case UPDATE -> {
              PolicyRequests.update(request.getUpdate());
              throw unknownRun(request.getUpdate().getRunId());
            }
            default -> throw new FieldErrors()
                .add("request", "set sample or update (request_id " + request.getRequestId() + ")")
                .toException();
          }
        } catch (RuntimeException e) {
          response.onError(e);
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        response.onCompleted();
      }
    };
  }

  @Override
  public void saveCheckpoint(SaveCheckpointRequest request, StreamObserver<CheckpointRef> response) {
    FieldErrors errors = new FieldErrors();
    PolicyRequests.runId(errors, "run_id", request.getRunId());
    errors.throwIfAny();
    throw unknownRun(request.getRunId());
  }

  @Override
  public void loadCheckpoint(LoadCheckpointRequest request, StreamObserver<PolicyInfo> response) {
    PolicyRequests.load(request);
    throw NotYetAvailable.of("Loading a checkpoint", ARRIVES_WITH);
  }

  @Override
  public void computeLoss(ComputeLossRequest request,
      StreamObserver<ComputeLossResponse> response) {
    PolicyRequests.computeLoss(request);
    throw NotYetAvailable.of("The loss diagnostic", ARRIVES_WITH);
  }

  private String device(String requested) {
    return requested.isEmpty() ? settings.device() : requested;
  }

  /** No policy can exist before CreatePolicy works, so every run id is unknown. */
  private static RuntimeException unknownRun(String runId) {
    return Status.NOT_FOUND
        .withDescription("no policy for run '" + runId + "'; create it with CreatePolicy first")
        .asRuntimeException();
  }
}
