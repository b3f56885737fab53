package dev.pin.reward.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.kit.server.ServiceLauncher;
import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.onnx.Int8Recipe;
import dev.pin.models.onnx.Precision;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.reward.RewardServer;
import dev.pin.reward.RewardSettings;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DescribeTaskRequest;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelPrecision;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.Split;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The cost of a training step's classification reward (§6.1, issue #13), in one process, for
 * BERT-base in fp32, the old int8 recipe ({@link Int8Recipe#REDUCED_RANGE}, 7-bit weights) and the
 * VNNI recipe ({@link Int8Recipe#VNNI}; skipped on a CPU without VNNI, where its 8-bit weights
 * saturate), all served by one Reward service over gRPC on localhost:
 *
 * <ol>
 *   <li>the 256-pair step: 8 distinct prompts × the 32 SST-2 training examples of split 16-42,
 *       cold ({@code skip_cache}): pairs/s, seconds per step, forwards per step (sequences the
 *       task model read, from the batcher's {@code pin.reward.batch.size}) and the ratio to fp32;
 *       the raw single-session ONNX Runtime Java API on the same fp32 graph is the baseline of
 *       the service's overhead;
 *   <li>12 steps as a training run sends them, with the cache: each step 8 prompts drawn with
 *       repeats from 16 (Zipf weights, seed 1), so identical prompts in a step are scored once
 *       and prompts of earlier steps come from the cache; forwards and seconds per step;
 *   <li>zero-shot accuracy on the 1 821 SST-2 test sentences for "it was" and the empty prompt,
 *       and the share of sentences whose predicted label agrees with fp32 (the acceptance bar:
 *       ≥ 99 % and accuracy within 0.5 points).
 * </ol>
 *
 * <p>The variants are built into a scratch model store that links the fp32 files of {@code
 * bert-base-uncased} (import it first). Prints a table; takes about 10 minutes on 2 cores.
 *
 * <pre>./bench reward-service dev.pin.reward.bench.RewardBenchmark [REPS]</pre>
 */
public final class RewardBenchmark {
  /** The 8 prompts of the cold step. */
  private static final List<String> STEP = List.of("", "it was", "great", "terrible",
      "the movie is", "overall", "absolutely", "in summary");
  /** The pool a simulated policy samples from. */
  private static final List<String> POOL = List.of("it was", "really", "so", "my review",
      "honestly", "rating", "very", "i think", "this film", "overall", "great", "terrible",
      "absolutely", "in summary", "the movie is", "");
  private static final int RUN_STEPS = 12;
  private static final List<String> TEST_PROMPTS = List.of("it was", "");
  private static final int RAW_BATCH = 64;

  private record Variant(String label, String model, ModelPrecision precision, Int8Recipe recipe) {}

  /** What one variant measured. */
  private static final class Result {
    double stepSeconds;
    double forwardsPerStep;
    double runSecondsPerStep;
    double runForwardsPerStep;
    String identity;
    final Map<String, int[]> predictions = new LinkedHashMap<>();
  }

  private RewardBenchmark() {}

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    CpuFeatures cpu = CpuFeatures.detect();
    List<LabeledText> train = read(Path.of("../shared/data/few-shot/sst-2/16-42/train.tsv"));
    List<LabeledText> test = read(Path.of("../shared/data/few-shot/sst-2/test.tsv"));
    ModelDir base = ModelStore.defaultStore().require("bert-base-uncased");
    int pairs = STEP.size() * train.size();
    System.out.printf(Locale.ROOT, "CPU: %s, %d cores%n", cpu.describe(),
        Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "step: %d prompts x %d SST-2 train examples (split 16-42) ="
        + " %d pairs, BERT-base, median of %d%n", STEP.size(), train.size(), pairs, reps);

    Path home = Files.createTempDirectory("pin-bench-models");
    List<Variant> variants = new ArrayList<>();
    variants.add(new Variant("fp32", link(base, home.resolve("bert-base-uncased")).name(),
        ModelPrecision.MODEL_PRECISION_FP32, null));
    List<Int8Recipe> recipes = new ArrayList<>(List.of(Int8Recipe.REDUCED_RANGE));
    if (cpu.hasVnni()) {
      recipes.add(Int8Recipe.VNNI);
    } else {
      System.out.println("no VNNI on this CPU: the " + Int8Recipe.VNNI.id() + " recipe is not"
          + " measured (its 8-bit weights saturate AVX2's int16 sums)");
    }
    for (Int8Recipe r : recipes) {
      ModelDir dir = BertModelWriter.addVariant(link(base, home.resolve("bert-" + r.id())), r);
      variants.add(new Variant((r == Int8Recipe.REDUCED_RANGE ? "int8 old " : "int8 new ")
          + r.id(), dir.name(), ModelPrecision.MODEL_PRECISION_INT8, r));
    }

    RewardSettings settings = RewardSettings.read(Config.of(Map.of(
        "models.home", home.toString(), "reward.port", "0",
        "reward.metrics-port", "-1", "reward.host", "127.0.0.1")));
    MeterRegistry meters = Metrics.newRegistry("reward");
    ServiceHost host = new ServiceHost(new RewardServer(settings, meters),
        Metrics.newRegistry("reward"), List.of(ServiceLauncher.tcp("127.0.0.1", 0)));
    host.start();
    host.awaitReady(60, TimeUnit.SECONDS);
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", host.port())
        .usePlaintext().maxInboundMessageSize(64 << 20).build();
    Map<Variant, Result> results = new LinkedHashMap<>();
    try {
      RewardGrpc.RewardBlockingStub stub = RewardGrpc.newBlockingStub(channel);
      for (Variant v : variants) {
        results.put(v, measure(stub, meters, v, train, test, reps));
      }
    } finally {
      channel.shutdownNow();
      host.close();
    }
    double raw = median(reps, () -> rawOrt(base, train));

    Result fp32 = results.get(variants.get(0));
    List<String> rows = new ArrayList<>();
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-44s", ""));
    for (Variant v : variants) {
      header.append(String.format(Locale.ROOT, "%26s", v.label()));
    }
    rows.add(header.toString());
    rows.add(row(results, "cold step: pairs/s", r -> fmt("%.1f", pairs / r.stepSeconds)));
    rows.add(row(results, "cold step: seconds per step", r -> fmt("%.2f", r.stepSeconds)));
    rows.add(row(results, "cold step: forwards per step",
        r -> fmt("%.0f", r.forwardsPerStep)));
    rows.add(row(results, "cold step: speed vs fp32",
        r -> fmt("%.2fx", fp32.stepSeconds / r.stepSeconds)));
    rows.add(row(results, RUN_STEPS + "-step run, cache on: forwards/step",
        r -> fmt("%.1f", r.runForwardsPerStep)));
    rows.add(row(results, RUN_STEPS + "-step run, cache on: seconds/step",
        r -> fmt("%.2f", r.runSecondsPerStep)));
    for (String p : TEST_PROMPTS) {
      String name = "\"" + p + "\"";
      rows.add(row(results, "SST-2 test " + name + ": accuracy",
          r -> fmt("%.1f%%", accuracy(r.predictions.get(p), test))));
      rows.add(row(results, "SST-2 test " + name + ": agrees with fp32",
          r -> fmt("%.1f%%", agreement(r.predictions.get(p), fp32.predictions.get(p)))));
    }
    System.out.println();
    rows.forEach(System.out::println);
    System.out.printf(Locale.ROOT, "%nraw ONNX Runtime (one fp32 session, batches of %d, no"
        + " buckets): %.1f pairs/s; the service's fp32 cold step: %.1f pairs/s (%.2fx)%n",
        RAW_BATCH, pairs / raw, pairs / fp32.stepSeconds, raw / fp32.stepSeconds);
    System.out.printf(Locale.ROOT, "%d-step run: 8 prompts a step drawn with repeats from %d"
        + " (Zipf weights, seed 1); forwards = sequences the task model read%n", RUN_STEPS,
        POOL.size());
    for (Variant v : variants) {
      System.out.println("identity: " + results.get(v).identity);
    }
  }

  private static Result measure(RewardGrpc.RewardBlockingStub stub, MeterRegistry meters,
      Variant v, List<LabeledText> train, List<LabeledText> test, int reps) throws Exception {
    Result r = new Result();
    String handle = stub.registerTask(RegisterTaskRequest.newBuilder().setTask(TaskSpec
        .newBuilder().setClassification(ClassificationTask.newBuilder()
            .setTaskModel(ModelRef.newBuilder().setName(v.model()).setPrecision(v.precision()))
            .addVerbalizers("terrible").addVerbalizers("great").addAllTrain(train)
            .addAllTest(test)))
        .build()).getHandle();
    r.identity = stub.describeTask(DescribeTaskRequest.newBuilder().setHandle(handle).build())
        .getTaskModelIdentity();
    ScoreRequest.Builder cold = ScoreRequest.newBuilder().setHandle(handle).setSkipCache(true);
    STEP.forEach(p -> cold.addPrompts(Prompt.newBuilder().setText(p)));
    double forwards0 = forwards(meters);
    r.stepSeconds = median(reps, () -> stub.score(cold.build()));
    r.forwardsPerStep = (forwards(meters) - forwards0) / (reps + 1);

    Random random = new Random(1);
    double[] weights = new double[POOL.size()];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = 1.0 / (i + 1);
    }
    forwards0 = forwards(meters);
    long t0 = System.nanoTime();
    for (int step = 0; step < RUN_STEPS; step++) {
      ScoreRequest.Builder b = ScoreRequest.newBuilder().setHandle(handle);
      for (int k = 0; k < STEP.size(); k++) {
        b.addPrompts(Prompt.newBuilder().setText(POOL.get(draw(random, weights))));
      }
      stub.score(b.build());
    }
    r.runSecondsPerStep = (System.nanoTime() - t0) / 1e9 / RUN_STEPS;
    r.runForwardsPerStep = (forwards(meters) - forwards0) / RUN_STEPS;

    for (String p : TEST_PROMPTS) {
      ScoreResponse s = stub.score(ScoreRequest.newBuilder().setHandle(handle)
          .setSplit(Split.SPLIT_TEST).setIncludeDetails(true)
          .addPrompts(Prompt.newBuilder().setText(p)).build());
      PromptScore score = s.getScores(0);
      int[] predicted = new int[score.getClassificationCount()];
      for (int i = 0; i < predicted.length; i++) {
        predicted[i] = score.getClassification(i).getPredicted();
      }
      r.predictions.put(p, predicted);
    }
    System.out.printf(Locale.ROOT, "measured %s: cold step %.2f s%n", v.label(), r.stepSeconds);
    return r;
  }

  private static int draw(Random random, double[] weights) {
    double total = Arrays.stream(weights).sum();
    double u = random.nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  /** Sequences read by every task-model batcher so far. */
  private static double forwards(MeterRegistry meters) {
    return meters.find("pin.reward.batch.size").summaries().stream()
        .mapToDouble(DistributionSummary::totalAmount).sum();
  }

  private static double accuracy(int[] predicted, List<LabeledText> test) {
    int correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      correct += predicted[i] == test.get(i).getLabel() ? 1 : 0;
    }
    return 100.0 * correct / predicted.length;
  }

  private static double agreement(int[] a, int[] b) {
    int same = 0;
    for (int i = 0; i < a.length; i++) {
      same += a[i] == b[i] ? 1 : 0;
    }
    return 100.0 * same / a.length;
  }

  private static String fmt(String format, double value) {
    return String.format(Locale.ROOT, format, value);
  }

  private static String row(Map<Variant, Result> results, String label,
      java.util.function.Function<Result, String> cell) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-44s", label));
    for (Result r : results.values()) {
      sb.append(String.format(Locale.ROOT, "%26s", cell.apply(r)));
    }
    return sb.toString();
  }

  /**
   * A model directory whose files are links to {@code model}'s fp32 files (no int8 variant), so
   * variants can be added without copying 440 MB.
   */
  private static ModelDir link(ModelDir model, Path dir) throws Exception {
    Files.createDirectories(dir);
    ModelManifest m = model.manifest();
    Map<String, String> files = new TreeMap<>(m.files());
    files.remove(Precision.INT8.fileRole());
    for (String f : files.values()) {
      Files.createSymbolicLink(dir.resolve(f), model.dir().resolve(f).toAbsolutePath());
    }
    Map<String, String> source = new LinkedHashMap<>(m.source());
    source.remove(BertModelWriter.INT8_RECIPE_KEY);
    new ModelManifest(m.formatVersion(), dir.getFileName().toString(), m.architecture(),
        m.roles(), m.hiddenSize(), m.vocabSize(), m.numLayers(), m.numHeads(), m.maxPositions(),
        m.doLowerCase(), m.specialTokens(), m.inputs(), m.outputs(), files, m.modelSha256(),
        source).write(dir);
    return ModelDir.open(dir);
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
    Arrays.sort(seconds);
    return seconds[reps / 2];
  }

  private static final Map<Path, OrtSession> SESSIONS = new HashMap<>();

  /** The baseline: tokenise, pad per batch of 64, one OrtSession.run per batch. */
  private static void rawOrt(ModelDir model, List<LabeledText> train) throws Exception {
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
    List<int[]> inputs = new ArrayList<>();
    for (String prompt : STEP) {
      for (LabeledText x : train) {
        inputs.add(tok.encode((x.getText() + " " + prompt + " [MASK] .").replaceAll(" +", " ")
            .trim()));
      }
    }
    for (int start = 0; start < inputs.size(); start += RAW_BATCH) {
      List<int[]> batch = inputs.subList(start, Math.min(inputs.size(), start + RAW_BATCH));
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
        out.get(0).getValue();
      } finally {
        in.values().forEach(OnnxTensor::close);
      }
    }
  }

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
