package dev.pin.reward;

import dev.pin.platform.grpc.NotYetAvailable;
import dev.pin.v1.DescribeTaskRequest;
import dev.pin.v1.EmbedImageRequest;
import dev.pin.v1.EmbedResponse;
import dev.pin.v1.EmbedTextRequest;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.EvaluateResponse;
import dev.pin.v1.GenerateRequest;
import dev.pin.v1.GenerateResponse;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.TaskHandle;
import dev.pin.v1.TaskInfo;
import dev.pin.platform.grpc.FieldErrors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * The Reward gRPC service. Requests are validated in full; the task rewards over ONNX Runtime are
 * the reward-service issue's work, so until they land a valid request is answered UNIMPLEMENTED
 * with that reason (never a made-up reward).
 */
final class RewardService extends RewardGrpc.RewardImplBase {
  private static final String ARRIVES_WITH = "the reward-service issue (#5)";

  @Override
  public void registerTask(RegisterTaskRequest request, StreamObserver<TaskHandle> response) {
    RewardRequests.register(request);
    throw NotYetAvailable.of("Registering a " + request.getTask().getTaskCase().name()
        .toLowerCase(java.util.Locale.ROOT) + " task", ARRIVES_WITH);
  }

  @Override
  public void describeTask(DescribeTaskRequest request, StreamObserver<TaskInfo> response) {
    FieldErrors errors = new FieldErrors();
    RewardRequests.handle(errors, request.getHandle());
    errors.throwIfAny();
    throw unknownHandle(request.getHandle());
  }

  @Override
  public void score(ScoreRequest request, StreamObserver<ScoreResponse> response) {
    RewardRequests.score(request);
    throw unknownHandle(request.getHandle());
  }

  @Override
  public StreamObserver<ScoreRequest> scoreStream(StreamObserver<PromptScore> response) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ScoreRequest request) {
        try {
          RewardRequests.score(request);
          throw unknownHandle(request.getHandle());
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
  public void evaluate(EvaluateRequest request, StreamObserver<EvaluateResponse> response) {
    RewardRequests.evaluate(request);
    throw unknownHandle(request.getHandle());
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
    RewardRequests.generate(request);
    throw unknownHandle(request.getHandle());
  }

  @Override
  public void embedText(EmbedTextRequest request, StreamObserver<EmbedResponse> response) {
    RewardRequests.embedText(request);
    throw NotYetAvailable.of("CLIP text embeddings", ARRIVES_WITH);
  }

  @Override
  public void embedImage(EmbedImageRequest request, StreamObserver<EmbedResponse> response) {
    RewardRequests.embedImage(request);
    throw NotYetAvailable.of("CLIP image embeddings", ARRIVES_WITH);
  }

  /** No task can be registered before RegisterTask works, so every handle is unknown. */
  private static RuntimeException unknownHandle(String handle) {
    return Status.NOT_FOUND
        .withDescription("no task registered under handle '" + handle
            + "'; register the task with RegisterTask (handles are content hashes, so "
            + "re-registering the same spec gives the same handle)")
        .asRuntimeException();
  }
}
