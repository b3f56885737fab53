package dev.pin.scorer.faithfulness;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.pin.platform.models.store.ModelDir;
import dev.pin.platform.models.store.ModelManifest;
import dev.pin.platform.models.store.ModelStore;
import dev.pin.platform.models.tokenizer.WordPieceTokenizer;
import dev.pin.v1.DescribeTaskRequest;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.Split;
import dev.pin.v1.TaskSpec;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@link TaskFaithfulness} over the Reward service: {@code DescribeTask} names the task model,
 * whose tokenizer the scorer reads from its own model store (the same files the Reward service
 * loads) for the round trip; {@code Score} gives the task rewards of each prompt and of the empty
 * prompt for the gains. Tokenizers are loaded once per model and kept for the process's life.
 */
public final class RewardTaskFaithfulness implements TaskFaithfulness {
  private final RewardGrpc.RewardBlockingStub reward;
  private final ModelStore store;
  private final Map<String, Function<String, int[]>> tokenizers = new ConcurrentHashMap<>();

  /**
   * @param reward a channel to the Reward service (its owner closes it; deadlines come from the
   *     channel's configuration)
   * @param store the model store holding the task models' tokenizers
   */
  public RewardTaskFaithfulness(Channel reward, ModelStore store) {
    this.reward = RewardGrpc.newBlockingStub(reward);
    this.store = store;
  }

  @Override
  public double[] roundTrip(String taskHandle, List<Prompt> prompts) {
    Function<String, int[]> tokenizer = tokenizer(taskModel(taskHandle));
    double[] out = new double[prompts.size()];
    for (int i = 0; i < out.length; i++) {
      Prompt p = prompts.get(i);
      if (p.getTokenIdsCount() == 0) {
        out[i] = Double.NaN;
        continue;
      }
      int[] ids = p.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray();
      out[i] = Arrays.equals(ids, tokenizer.apply(p.getText())) ? 1 : 0;
    }
    return out;
  }

  @Override
  public double[] gains(String taskHandle, List<Prompt> prompts, Split split) {
    // The empty prompt goes last in the same call, so all rewards come from one batch.
    ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(taskHandle).setSplit(split);
    prompts.forEach(p -> request.addPrompts(Prompt.newBuilder().setText(p.getText())));
    request.addPrompts(Prompt.getDefaultInstance());
    ScoreResponse response = call("Score", () -> reward.score(request.build()));
    double[] rewards = new double[prompts.size() + 1];
    Arrays.fill(rewards, Double.NaN);
    for (PromptScore s : response.getScoresList()) {
      rewards[s.getPromptIndex()] = s.getReward();
    }
    double empty = rewards[prompts.size()];
    double[] out = new double[prompts.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = rewards[i] - empty;
    }
    return out;
  }

  /** The text model whose tokenizer reads the prompt in {@code handle}'s task. */
  private ModelRef taskModel(String handle) {
    TaskSpec task = call("DescribeTask", () -> reward.describeTask(
        DescribeTaskRequest.newBuilder().setHandle(handle).build())).getTask();
    ModelRef model = switch (task.getTaskCase()) {
      case CLASSIFICATION -> task.getClassification().getTaskModel();
      case STYLE_TRANSFER -> task.getStyleTransfer().getGenerator();
      case CUSTOM -> task.getCustom().getModel();
      default -> throw Status.FAILED_PRECONDITION.withDescription("task " + handle + " is a "
          + task.getTaskCase() + " task; the round trip needs a text task model (classification,"
          + " style transfer or custom)").asRuntimeException();
    };
    if (model.getName().isBlank()) {
      throw Status.FAILED_PRECONDITION.withDescription("task " + handle
          + " names no task model").asRuntimeException();
    }
    return model;
  }

  private Function<String, int[]> tokenizer(ModelRef model) {
    return tokenizers.computeIfAbsent(model.getName(), this::load);
  }

  private Function<String, int[]> load(String name) {
    try {
      ModelDir dir = store.require(name);
      if (ModelManifest.ARCH_BERT_MLM.equals(dir.manifest().architecture())) {
        // The same WordPiece tokenizer the Reward service's masked task models use.
        WordPieceTokenizer wordPiece = dir.tokenizer();
        return wordPiece::ids;
      }
      if (!dir.manifest().files().containsKey("tokenizer")) {
        throw Status.FAILED_PRECONDITION.withDescription("task model '" + name + "' ("
            + dir.manifest().architecture() + ") has no tokenizer file the scorer can read")
            .asRuntimeException();
      }
      HuggingFaceTokenizer hf = dir.huggingFaceTokenizer();
      return text -> Arrays.stream(hf.encode(text, false, false).getIds())
          .mapToInt(Math::toIntExact).toArray();
    } catch (IOException | IllegalArgumentException e) {
      throw Status.FAILED_PRECONDITION.withDescription("the round trip needs the task model's"
          + " tokenizer, and the scorer's model store cannot provide it: " + e.getMessage()
          + " (the scorer and the Reward service must share models.home)").asRuntimeException();
    }
  }

  private interface Call<T> {
    T run();
  }

  /** Runs a Reward call, saying in the status that the Reward service answered it. */
  private static <T> T call(String rpc, Call<T> call) {
    try {
      return call.run();
    } catch (StatusRuntimeException e) {
      throw e.getStatus().withDescription("Reward/" + rpc + ": " + e.getStatus().getDescription())
          .withCause(e).asRuntimeException();
    }
  }
}
