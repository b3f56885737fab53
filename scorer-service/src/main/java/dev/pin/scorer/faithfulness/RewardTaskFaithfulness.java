package dev.pin.scorer.faithfulness;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.WordPieceTokenizer;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@link TaskFaithfulness} over the Reward service: {@code DescribeTask} names the task model;
 * the round trip's tokenizer (the policy model's, by default the task model's) and the
 * vocabularies compared are read from the scorer's own model store (the same files the Reward
 * service loads); {@code Score} gives the task rewards of each prompt's text, of the empty prompt,
 * and of the prompts' token ids ({@code read_token_ids}). Tokenizers, vocabularies and task specs
 * (a handle is a content hash, so its spec never changes) are loaded once and kept for the
 * process's life.
 */
public final class RewardTaskFaithfulness implements TaskFaithfulness {
  private final RewardGrpc.RewardBlockingStub reward;
  private final ModelStore store;
  private final Map<String, TaskSpec> tasks = new ConcurrentHashMap<>();
  private final Map<String, Function<String, int[]>> tokenizers = new ConcurrentHashMap<>();
  private final Map<String, List<String>> vocabularies = new ConcurrentHashMap<>();

  /**
   * @param reward a channel to the Reward service (its owner closes it; deadlines come from the
   *     channel's configuration)
   * @param store the model store holding the task and policy models' tokenizers
   */
  public RewardTaskFaithfulness(Channel reward, ModelStore store) {
    this.reward = RewardGrpc.newBlockingStub(reward);
    this.store = store;
  }

  @Override
  public double[] roundTrip(String taskHandle, ModelRef policyModel, List<Prompt> prompts) {
    String model = policyModel.getName().isBlank()
        ? taskModel(taskHandle).getName() : policyModel.getName();
    Function<String, int[]> tokenizer = tokenizers.computeIfAbsent(model, this::loadTokenizer);
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
  public boolean sharedVocabulary(String taskHandle, ModelRef policyModel) {
    String task = taskModel(taskHandle).getName();
    if (policyModel.getName().isBlank() || policyModel.getName().equals(task)) {
      return true;
    }
    // Two store entries may hold one tokenizer (e.g. a classifier fine-tuned from the policy's
    // backbone): what matters is the token under every id, not the name.
    return vocabulary(policyModel.getName()).equals(vocabulary(task));
  }

  @Override
  public TaskRewards rewards(String taskHandle, List<Prompt> prompts, Split split,
      boolean readIds) {
    // The empty prompt goes last in the same call, so text rewards come from one batch.
    ScoreRequest.Builder text = ScoreRequest.newBuilder().setHandle(taskHandle).setSplit(split);
    prompts.forEach(p -> text.addPrompts(Prompt.newBuilder().setText(p.getText())));
    text.addPrompts(Prompt.getDefaultInstance());
    double[] textRewards = scores(text.build(), prompts.size() + 1);
    double[] ids = new double[prompts.size()];
    Arrays.fill(ids, Double.NaN);
    if (readIds && task(taskHandle).getTaskCase() == TaskSpec.TaskCase.CLASSIFICATION) {
      List<Integer> withIds = new ArrayList<>();
      ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(taskHandle)
          .setSplit(split).setReadTokenIds(true);
      for (int i = 0; i < prompts.size(); i++) {
        if (prompts.get(i).getTokenIdsCount() > 0) {
          withIds.add(i);
          request.addPrompts(Prompt.newBuilder()
              .addAllTokenIds(prompts.get(i).getTokenIdsList()));
        }
      }
      if (!withIds.isEmpty()) {
        double[] r = scores(request.build(), withIds.size());
        for (int k = 0; k < r.length; k++) {
          ids[withIds.get(k)] = r[k];
        }
      }
    }
    return new TaskRewards(Arrays.copyOf(textRewards, prompts.size()),
        textRewards[prompts.size()], ids);
  }

  /** One Score call's rewards by prompt index (NaN for any the service left out). */
  private double[] scores(ScoreRequest request, int n) {
    ScoreResponse response = call("Score", () -> reward.score(request));
    double[] out = new double[n];
    Arrays.fill(out, Double.NaN);
    for (PromptScore s : response.getScoresList()) {
      out[s.getPromptIndex()] = s.getReward();
    }
    return out;
  }

  private TaskSpec task(String handle) {
    TaskSpec known = tasks.get(handle);
    if (known != null) {
      return known;
    }
    TaskSpec task = call("DescribeTask", () -> reward.describeTask(
        DescribeTaskRequest.newBuilder().setHandle(handle).build())).getTask();
    tasks.put(handle, task);
    return task;
  }

  /** The text model whose tokenizer reads the prompt in {@code handle}'s task. */
  private ModelRef taskModel(String handle) {
    TaskSpec task = task(handle);
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

  private ModelDir modelDir(String name, String what) {
    try {
      return store.require(name);
    } catch (IOException | IllegalArgumentException e) {
      throw unreadable(name, what, e);
    }
  }

  private static StatusRuntimeException unreadable(String name, String what, Exception e) {
    return Status.FAILED_PRECONDITION.withDescription(what + " needs the tokenizer of '" + name
        + "', and the scorer's model store cannot provide it: " + e.getMessage()
        + " (the scorer and the Reward service must share models.home; policy_model must be a"
        + " model of that store)").asRuntimeException();
  }

  private Function<String, int[]> loadTokenizer(String name) {
    ModelDir dir = modelDir(name, "the round trip");
    try {
      if (ModelManifest.ARCH_BERT_MLM.equals(dir.manifest().architecture())) {
        // The same WordPiece tokenizer the Reward service's masked task models use.
        WordPieceTokenizer wordPiece = dir.tokenizer();
        return wordPiece::ids;
      }
      if (!dir.manifest().files().containsKey("tokenizer")) {
        throw Status.FAILED_PRECONDITION.withDescription("model '" + name + "' ("
            + dir.manifest().architecture() + ") has no tokenizer file the scorer can read")
            .asRuntimeException();
      }
      HuggingFaceTokenizer hf = dir.huggingFaceTokenizer();
      return text -> Arrays.stream(hf.encode(text, false, false).getIds())
          .mapToInt(Math::toIntExact).toArray();
    } catch (IOException | IllegalArgumentException e) {
      throw unreadable(name, "the round trip", e);
    }
  }

  private List<String> vocabulary(String name) {
    return vocabularies.computeIfAbsent(name, this::loadVocabulary);
  }

  /**
   * The model's tokens in id order: WordPiece's {@code vocab.txt}, or {@code tokenizer.json}'s
   * {@code model.vocab} (a token → id map for BPE and WordPiece, a list for Unigram) with its
   * {@code added_tokens}; ids no token has are null.
   */
  private List<String> loadVocabulary(String name) {
    ModelDir dir = modelDir(name, "comparing vocabularies");
    try {
      if (dir.manifest().files().containsKey("vocab")) {
        return dir.tokenizer().vocab();
      }
      if (!dir.manifest().files().containsKey("tokenizer")) {
        throw Status.FAILED_PRECONDITION.withDescription("model '" + name + "' ("
            + dir.manifest().architecture() + ") has no vocabulary file the scorer can read")
            .asRuntimeException();
      }
      JsonObject root = JsonParser.parseString(Files.readString(
          dir.dir().resolve(dir.manifest().file("tokenizer")), StandardCharsets.UTF_8))
          .getAsJsonObject();
      List<String> tokens = new ArrayList<>();
      JsonElement vocab = root.getAsJsonObject("model").get("vocab");
      if (vocab.isJsonArray()) {
        vocab.getAsJsonArray().forEach(e -> tokens.add(e.getAsJsonArray().get(0).getAsString()));
      } else {
        vocab.getAsJsonObject().entrySet()
            .forEach(e -> put(tokens, e.getValue().getAsInt(), e.getKey()));
      }
      if (root.has("added_tokens")) {
        for (JsonElement e : root.getAsJsonArray("added_tokens")) {
          JsonObject t = e.getAsJsonObject();
          put(tokens, t.get("id").getAsInt(), t.get("content").getAsString());
        }
      }
      return tokens;
    } catch (IOException | RuntimeException e) {
      if (e instanceof StatusRuntimeException sre) {
        throw sre;
      }
      throw unreadable(name, "comparing vocabularies", e);
    }
  }

  private static void put(List<String> tokens, int id, String token) {
    while (tokens.size() <= id) {
      tokens.add(null);
    }
    tokens.set(id, token);
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
