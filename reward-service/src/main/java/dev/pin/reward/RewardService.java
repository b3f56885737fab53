package dev.pin.reward;

import dev.pin.kit.grpc.FieldErrors;
import dev.pin.reward.scoring.RewardEngine;
import dev.pin.reward.scoring.RewardStatuses;
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
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Reward gRPC service over the {@link RewardEngine}: task handles, batched and cached scoring,
 * evaluation. Every engine failure is mapped by {@link RewardStatuses} to a status that says what
 * to fix (unknown handle → NOT_FOUND, full queue → RESOURCE_EXHAUSTED, missing model →
 * FAILED_PRECONDITION).
 */
final class RewardService extends RewardGrpc.RewardImplBase {
  private final RewardEngine engine;

  RewardService(RewardEngine engine) {
    this.engine = engine;
  }

  private static StatusRuntimeException status(Throwable e) {
    if (RewardStatuses.unwrap(e) instanceof StatusRuntimeException sre) {
      return sre;
    }
    return RewardStatuses.fromThrowable(e).asRuntimeException();
  }

  @Override
  public void registerTask(RegisterTaskRequest request, StreamObserver<TaskHandle> response) {
    RewardRequests.register(request);
    reply(response, () -> engine.tasks().register(request.getTask()).toHandle());
  }

  @Override
  public void describeTask(DescribeTaskRequest request, StreamObserver<TaskInfo> response) {
    FieldErrors errors = new FieldErrors();
    RewardRequests.handle(errors, request.getHandle());
    errors.throwIfAny();
    reply(response, () -> engine.tasks().require(request.getHandle()).toTaskInfo());
  }

  @Override
  public void score(ScoreRequest request, StreamObserver<ScoreResponse> response) {
    RewardRequests.score(request);
    reply(response, () -> {
      ScoreResponse.Builder out = ScoreResponse.newBuilder();
      engine.score(request).forEach(f -> out.addScores(f.join()));
      return out.build();
    });
  }

  /**
   * Each request's prompts are sent back as soon as their model batch finishes, in completion
   * order; {@code request_id} and {@code prompt_index} say which is which. The stream completes
   * after the client half-closes and every outstanding prompt has been sent.
   */
  @Override
  public StreamObserver<ScoreRequest> scoreStream(StreamObserver<PromptScore> response) {
    ServerCallStreamObserver<PromptScore> out = (ServerCallStreamObserver<PromptScore>) response;
    AtomicInteger outstanding = new AtomicInteger(1); // 1 = the client has not half-closed
    Object lock = new Object();
    return new StreamObserver<>() {
      private volatile boolean failed;

      private void done() {
        if (outstanding.decrementAndGet() == 0 && !failed) {
          synchronized (lock) {
            out.onCompleted();
          }
        }
      }

      private void fail(Throwable e) {
        synchronized (lock) {
          if (!failed) {
            failed = true;
            out.onError(status(e));
          }
        }
      }

      @Override
      public void onNext(ScoreRequest request) {
        if (failed) {
          return;
        }
        List<CompletableFuture<PromptScore>> scores;
        try {
          RewardRequests.score(request);
          scores = engine.score(request);
        } catch (RuntimeException e) {
          fail(e);
          return;
        }
        outstanding.addAndGet(scores.size());
        for (CompletableFuture<PromptScore> f : scores) {
          f.whenComplete((score, error) -> {
            if (error != null) {
              fail(error);
            } else if (!failed && !out.isCancelled()) {
              synchronized (lock) {
                out.onNext(score);
              }
            }
            done();
          });
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
      }

      @Override
      public void onCompleted() {
        done();
      }
    };
  }

  @Override
  public void evaluate(EvaluateRequest request, StreamObserver<EvaluateResponse> response) {
    RewardRequests.evaluate(request);
    reply(response, () -> engine.evaluate(request).join());
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
    RewardRequests.generate(request);
    reply(response, () -> engine.generate(request).join());
  }

  @Override
  public void embedText(EmbedTextRequest request, StreamObserver<EmbedResponse> response) {
    RewardRequests.embedText(request);
    reply(response, () -> engine.embedText(request).join());
  }

  @Override
  public void embedImage(EmbedImageRequest request, StreamObserver<EmbedResponse> response) {
    RewardRequests.embedImage(request);
    reply(response, () -> engine.embedImage(request).join());
  }

  /** Runs an engine call and answers with its result or its mapped status. */
  private static <T> void reply(StreamObserver<T> response, java.util.function.Supplier<T> call) {
    T value;
    try {
      value = call.get();
    } catch (RuntimeException e) {
      throw status(e);
    }
    response.onNext(value);
    response.onCompleted();
  }
}
