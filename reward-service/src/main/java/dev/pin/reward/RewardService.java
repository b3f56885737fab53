package dev.pin.reward;

import dev.pin.platform.grpc.FieldErrors;
import dev.pin.reward.backend.ModelCatalog;
import dev.pin.reward.scoring.RewardEngine;
import dev.pin.reward.scoring.RewardStatuses;
import dev.pin.reward.task.RegisteredTask;
import dev.pin.v1.DescribeTaskRequest;
import dev.pin.v1.EmbedImageRequest;
import dev.pin.v1.EmbedResponse;
import dev.pin.v1.EmbedTextRequest;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.EvaluateResponse;
import dev.pin.v1.GenerateRequest;
import dev.pin.v1.GenerateResponse;
import dev.pin.v1.ModelRef;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.TaskHandle;
import dev.pin.v1.TaskInfo;
import io.grpc.Status;
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
  private final ModelCatalog catalog;

  RewardService(RewardEngine engine, ModelCatalog catalog) {
    this.engine = engine;
    this.catalog = catalog;
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
    RegisteredTask task;
    try {
      task = engine.tasks().register(request.getTask());
    } catch (RuntimeException e) {
      throw status(e);
    }
    response.onNext(task.toHandle());
    response.onCompleted();
  }

  @Override
  public void describeTask(DescribeTaskRequest request, StreamObserver<TaskInfo> response) {
    FieldErrors errors = new FieldErrors();
    RewardRequests.handle(errors, request.getHandle());
    errors.throwIfAny();
    try {
      response.onNext(engine.tasks().require(request.getHandle()).toTaskInfo());
    } catch (RuntimeException e) {
      throw status(e);
    }
    response.onCompleted();
  }

  @Override
  public void score(ScoreRequest request, StreamObserver<ScoreResponse> response) {
    RewardRequests.score(request);
    ScoreResponse.Builder out = ScoreResponse.newBuilder();
    try {
      for (CompletableFuture<PromptScore> f : engine.score(request)) {
        out.addScores(f.join());
      }
    } catch (RuntimeException e) {
      throw status(e);
    }
    response.onNext(out.build());
    response.onCompleted();
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
    try {
      response.onNext(engine.evaluate(request).join());
    } catch (RuntimeException e) {
      throw status(e);
    }
    response.onCompleted();
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
    RewardRequests.generate(request);
    RegisteredTask task;
    try {
      task = engine.tasks().require(request.getHandle());
    } catch (RuntimeException e) {
      throw status(e);
    }
    throw Status.FAILED_PRECONDITION.withDescription("task " + task.handle() + " is a "
        + task.type() + "; Generate needs a style-transfer task whose generator is a causal LM, "
        + "and this build's model store holds masked LMs only").asRuntimeException();
  }

  @Override
  public void embedText(EmbedTextRequest request, StreamObserver<EmbedResponse> response) {
    RewardRequests.embedText(request);
    throw noClip(request.getModel());
  }

  @Override
  public void embedImage(EmbedImageRequest request, StreamObserver<EmbedResponse> response) {
    RewardRequests.embedImage(request);
    throw noClip(request.getModel());
  }

  private StatusRuntimeException noClip(ModelRef model) {
    return Status.FAILED_PRECONDITION.withDescription(catalog.contains(model)
        ? "model '" + model.getName() + "' is not a CLIP model (see `pin models list`)"
        : "model '" + model.getName() + "' is not in the model store; import a CLIP export with "
            + "`pin models import` (see `pin models list`)").asRuntimeException();
  }
}
