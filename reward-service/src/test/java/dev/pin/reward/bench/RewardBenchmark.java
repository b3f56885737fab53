package dev.pin.reward.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pin.platform.config.Config;
import dev.pin.platform.models.store.ModelDir;
import dev.pin.platform.models.store.ModelStore;
import dev.pin.platform.models.tokenizer.WordPieceTokenizer;
import dev.pin.platform.server.Metrics;
import dev.pin.platform.server.ServiceHost;
import dev.pin.platform.server.ServiceLauncher;
import dev.pin.reward.RewardServer;
import dev.pin.reward.RewardSettings;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Classification reward throughput (§6.1), 16 prompts × the 32 SST-2 training examples of split
 * 16-42 with BERT-base, in one process: the raw single-session ONNX Runtime Java API on the same
 * graph and inputs (the baseline), the Reward service over gRPC on localhost TCP without the cache,
 * and the same with the cache warm. Prints (prompt, example) pairs per second and the ratios.
 *
 * <pre>./bench reward-service dev.pin.reward.bench.RewardBenchmark [REPS]</pre>
 */
public final class RewardBenchmark {
  private static final List<String> PROMPTS = List.of("", "it was", "great", "terrible",
      "the movie is", "overall", "absolutely", "in summary", "really", "so", "my review",
      "honestly", "rating", "very", "i think", "this film");
  private static final int BATCH = 64;

  private RewardBenchmark() {}

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Path data = Path.of("../shared/data/few-shot/sst-2/16-42/train.tsv");
    List<LabeledText> train = read(data);
    ModelDir model = ModelStore.defaultStore().require("bert-base-uncased");
    int pairs = PROMPTS.size() * train.size();
    System.out.printf(Locale.ROOT, "%d prompts x %d examples = %d pairs, BERT-base, %d cores, "
        + "median of %d%n", PROMPTS.size(), train.size(), pairs,
        Runtime.getRuntime().availableProcessors(), reps);

    double[] rawRewards = new double[PROMPTS.size()];
    double raw = median(reps, () -> rawOrt(model, train, rawRewards));
    System.out.printf(Locale.ROOT, "raw ONNX Runtime, one session    %8.1f pairs/s%n",
        pairs / raw);

    Path tmp = Files.createTempDirectory("pin-bench");
    RewardSettings settings = RewardSettings.read(Config.of(Map.of(
        "models.home", ModelStore.defaultHome().toString(), "reward.port", "0",
        "reward.metrics-port", "-1", "reward.host", "127.0.0.1")));
    ServiceHost host = new ServiceHost(new RewardServer(settings, Metrics.newRegistry("reward")),
        Metrics.newRegistry("reward"), List.of(ServiceLauncher.tcp("127.0.0.1", 0)));
    host.start();
    host.awaitReady(60, TimeUnit.SECONDS);
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", host.port())
        .usePlaintext().build();
    try {
      RewardGrpc.RewardBlockingStub stub = RewardGrpc.newBlockingStub(channel);
      String handle = stub.registerTask(RegisterTaskRequest.newBuilder().setTask(TaskSpec
          .newBuilder().setClassification(ClassificationTask.newBuilder()
              .setTaskModel(ModelRef.newBuilder().setName("bert-base-uncased"))
              .addVerbalizers("terrible").addVerbalizers("great").addAllTrain(train)))
          .build()).getHandle();
      ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(handle);
      PROMPTS.forEach(p -> request.addPrompts(Prompt.newBuilder().setText(p)));
      ScoreRequest cold = request.clone().setSkipCache(true).build();
      ScoreResponse[] last = new ScoreResponse[1];
      double service = median(reps, () -> last[0] = stub.score(cold));
      System.out.printf(Locale.ROOT, "Reward service over gRPC, no cache %8.1f pairs/s  (%.2fx raw)%n",
          pairs / service, raw / service);
      stub.score(request.build()); // fill the cache
      double warm = median(reps, () -> stub.score(request.build()));
      System.out.printf(Locale.ROOT, "Reward service, cache warm         %8.1f pairs/s  (%.1fx raw)%n",
          pairs / warm, raw / warm);
      double maxDiff = 0;
      for (int i = 0; i < PROMPTS.size(); i++) {
        maxDiff = Math.max(maxDiff, Math.abs(last[0].getScores(i).getReward() - rawRewards[i]));
      }
      System.out.printf(Locale.ROOT, "largest |reward(service) - reward(raw)| over the prompts: "
          + "%.2e%n", maxDiff);
    } finally {
      channel.shutdownNow();
      host.close();
    }
  }

  interface Work {
    void run() throws Exception;
  }

  private static double median(int reps, Work work) throws Exception {
    work.run(); // warm-up
    double[] seconds = new double[reps];
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      work.run();
      seconds[r] = (System.nanoTime() - t0) / 1e9;
    }
    java.util.Arrays.sort(seconds);
    return seconds[reps / 2];
  }

  /** The baseline: tokenise, pad per batch of 64, one OrtSession.run per batch, gap reward. */
  private static void rawOrt(ModelDir model, List<LabeledText> train, double[] rewards)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session = SESSIONS.computeIfAbsent(model.modelFile(), f -> {
      try {
        return env.createSession(f.toString(), new OrtSession.SessionOptions());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    WordPieceTokenizer tok = model.tokenizer();
    int mask = tok.id("[MASK]");
    int terrible = tok.id("terrible");
    int great = tok.id("great");
    List<int[]> inputs = new ArrayList<>();
    for (String prompt : PROMPTS) {
      for (LabeledText x : train) {
        inputs.add(tok.encode((x.getText() + " " + prompt + " [MASK] .").replaceAll(" +", " ")
            .trim()));
      }
    }
    float[][] verbalizerLogits = new float[inputs.size()][2];
    for (int start = 0; start < inputs.size(); start += BATCH) {
      List<int[]> batch = inputs.subList(start, Math.min(inputs.size(), start + BATCH));
      int len = batch.stream().mapToInt(a -> a.length).max().orElseThrow();
      long[] ids = new long[batch.size() * len];
      long[] attention = new long[ids.length];
      long[] positions = new long[batch.size()];
      for (int b = 0; b < batch.size(); b++) {
        int[] seq = batch.get(b);
        for (int t = 0; t < seq.length; t++) {
          ids[b * len + t] = seq[t];
          attention[b * len + t] = 1;
          if (seq[t] == mask) {
            positions[b] = t;
          }
        }
      }
      long[] shape = {batch.size(), len};
      Map<String, OnnxTensor> in = new HashMap<>();
      in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(attention), shape));
      in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]),
          shape));
      in.put("positions", OnnxTensor.createTensor(env, LongBuffer.wrap(positions),
          new long[] {batch.size(), 1}));
      try (OrtSession.Result out = session.run(in, java.util.Set.of("logits"))) {
        float[][][] logits = (float[][][]) out.get(0).getValue();
        for (int b = 0; b < batch.size(); b++) {
          verbalizerLogits[start + b][0] = logits[b][0][terrible];
          verbalizerLogits[start + b][1] = logits[b][0][great];
        }
      } finally {
        in.values().forEach(OnnxTensor::close);
      }
    }
    for (int p = 0; p < PROMPTS.size(); p++) {
      double sum = 0;
      for (int i = 0; i < train.size(); i++) {
        float[] l = verbalizerLogits[p * train.size() + i];
        double m = Math.max(l[0], l[1]);
        double p0 = Math.exp(l[0] - m) / (Math.exp(l[0] - m) + Math.exp(l[1] - m));
        double correct = train.get(i).getLabel() == 0 ? p0 : 1 - p0;
        double gap = 2 * correct - 1;
        sum += gap * (gap > 0 ? 200 : 180);
      }
      rewards[p] = sum / train.size();
    }
  }

  private static final Map<Path, OrtSession> SESSIONS = new HashMap<>();

  private static List<LabeledText> read(Path tsv) throws Exception {
    List<LabeledText> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(tsv);
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      int tab = line.lastIndexOf('\t');
      String text = line.substring(0, tab);
      if (text.startsWith("\"") && text.endsWith("\"")) {
        text = text.substring(1, text.length() - 1).replace("\"\"", "\"");
      }
      out.add(LabeledText.newBuilder().setText(text)
          .setLabel(Integer.parseInt(line.substring(tab + 1).trim())).build());
    }
    return out;
  }
}
