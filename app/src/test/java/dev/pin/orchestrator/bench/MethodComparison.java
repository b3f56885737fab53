package dev.pin.orchestrator.bench;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.v1.Budget;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.EvaluatePromptResponse;
import dev.pin.v1.EvaluationConfig;
import dev.pin.v1.FewShotData;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.Run;
import dev.pin.v1.RunSpec;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Empty prompt vs manual prompt vs RLPrompt vs PIN on one SST-2 split with BERT-base, one budget
 * for both methods, printing test accuracy and BERT-base pseudo-perplexity; then the mean step time
 * of the same PIN spec in embedded mode vs distributed mode (four {@code pin serve} processes).
 *
 * <pre>./bench app dev.pin.orchestrator.bench.MethodComparison [STEPS] [SPLIT_SEED]</pre>
 *
 * A few hundred steps on two CPU cores show the loop and the ranking forming, not the papers'
 * numbers (§9 used RoBERTa-large for 6 000–12 000 steps on GPUs).
 */
public final class MethodComparison {
  private MethodComparison() {}

  public static void main(String[] args) throws Exception {
    long steps = args.length > 0 ? Long.parseLong(args[0]) : 100;
    int seed = args.length > 1 ? Integer.parseInt(args[1]) : 42;
    Path work = Files.createTempDirectory("pin-bench");
    Path data = Path.of("../shared/data/few-shot/sst-2").toAbsolutePath();
    TaskSpec task = TaskSpec.newBuilder().setClassification(ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("bert-base-uncased"))
        .setData(DataSource.newBuilder().setFewShot(FewShotData.newBuilder()
            .setDir(data.toString()).setSplitSeed(seed)))).build();
    Config config = Config.of(Map.of(
        "orchestrator.store-url", "jdbc:sqlite:" + work.resolve("runs.db"),
        "policy.checkpoint-dir", work.resolve("checkpoints").toString(),
        "orchestrator.metrics-port", "-1", "policy.metrics-port", "-1",
        "reward.metrics-port", "-1", "scorer.metrics-port", "-1"));
    System.out.printf(Locale.ROOT, "SST-2 split 16-%d, BERT-base task model and policy backbone, "
        + "%d steps per method, test set of %s%n", seed, steps, data.resolve("test.tsv"));
    double embeddedStep;
    try (EmbeddedEnsemble ensemble = EmbeddedEnsemble.create(config,
        "bench-" + UUID.randomUUID(), false)) {
      ensemble.start();
      ensemble.awaitReady(5, TimeUnit.MINUTES);
      ManagedChannel channel = InProcessChannelBuilder
          .forName(ensemble.inProcessName("orchestrator")).build();
      OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorGrpc.newBlockingStub(channel);
      System.out.printf(Locale.ROOT, "%-9s %-40s %-10s %s%n", "method", "prompt", "test acc",
          "pseudo-PPL");
      row("empty", evaluate(stub, task, ""));
      row("manual", evaluate(stub, task, "it was"));
      double[] stepTimes = new double[2];
      int i = 0;
      for (Method method : List.of(Method.METHOD_RLPROMPT, Method.METHOD_PIN)) {
        Run run = train(stub, spec(method, task, steps));
        stepTimes[i++] = meanStepSeconds(stub, run.getId());
        ScoredPrompt best = run.getBestPromptsCount() > 0 ? run.getBestPrompts(0) : null;
        System.out.printf(Locale.ROOT, "%-9s %-40s %-10s %s%n",
            method.name().replace("METHOD_", "").toLowerCase(Locale.ROOT),
            best == null ? "(none)" : "\"" + best.getPrompt().getText() + "\"",
            best == null ? "-" : String.format(Locale.ROOT, "%.1f%%", best.getTestScore()),
            best != null && best.hasNaturalness() ? String.format(Locale.ROOT, "%.1f",
                best.getNaturalness().getPerplexity()) : "-");
      }
      embeddedStep = stepTimes[1];
      channel.shutdownNow();
    }
    double distributedStep = distributedStepSeconds(work, task, Math.min(steps, 20));
    System.out.printf(Locale.ROOT, "PIN mean step time: embedded %.2f s, distributed (4 processes "
        + "on localhost) %.2f s, ratio %.2f%n", embeddedStep, distributedStep,
        distributedStep / embeddedStep);
  }

  static RunSpec spec(Method method, TaskSpec task, long steps) {
    PolicyConfig.Builder policy = PolicyConfig.newBuilder()
        .setBackbone(ModelRef.newBuilder().setName("bert-base-uncased"));
    if (method == Method.METHOD_PIN) {
      policy.setReplay(ReplayConfig.newBuilder().setEnabled(true).setWarmup(64).setBatchSize(64));
    }
    return RunSpec.newBuilder().setName("bench-" + method).setMethod(method).setTask(task)
        .setPolicy(policy).setPromptsPerStep(8).setSeed(7)
        .setBudget(Budget.newBuilder().setMaxSteps(steps))
        .setEvaluation(EvaluationConfig.newBuilder().setEverySteps(Math.max(1, (int) steps / 5)))
        .build();
  }

  private static Run train(OrchestratorGrpc.OrchestratorBlockingStub stub, RunSpec spec) {
    Run run = stub.startRun(StartRunRequest.newBuilder().setSpec(spec).build());
    stub.watchRun(WatchRunRequest.newBuilder().setRunId(run.getId()).build())
        .forEachRemaining(e -> { });
    return stub.getRun(GetRunRequest.newBuilder().setRunId(run.getId()).build());
  }

  private static double meanStepSeconds(OrchestratorGrpc.OrchestratorBlockingStub stub,
      String runId) {
    List<Double> times = new ArrayList<>();
    stub.watchRun(WatchRunRequest.newBuilder().setRunId(runId).build()).forEachRemaining(e -> {
      if (e.hasStep()) {
        times.add(e.getStep().getStepTime().getSeconds()
            + e.getStep().getStepTime().getNanos() / 1e9);
      }
    });
    return times.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  private static EvaluatePromptResponse evaluate(OrchestratorGrpc.OrchestratorBlockingStub stub,
      TaskSpec task, String prompt) {
    return stub.evaluatePrompt(EvaluatePromptRequest.newBuilder().setTask(task)
        .setPromptText(prompt).setSplit(Split.SPLIT_TEST).setWithNaturalness(!prompt.isEmpty())
        .build());
  }

  private static void row(String label, EvaluatePromptResponse r) {
    System.out.printf(Locale.ROOT, "%-9s %-40s %-10s %s%n", label,
        "\"" + r.getResult().getPrompt().getText() + "\"",
        String.format(Locale.ROOT, "%.1f%%", r.getScore()),
        r.getResult().hasNaturalness() ? String.format(Locale.ROOT, "%.1f",
            r.getResult().getNaturalness().getPerplexity()) : "-");
  }

  /** The same PIN spec through four {@code pin serve} processes; mean step seconds. */
  private static double distributedStepSeconds(Path work, TaskSpec task, long steps)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> processes = new ArrayList<>();
    int[] ports = {free(), free(), free(), free()};
    String[] services = {"policy", "reward", "scorer", "orchestrator"};
    try {
      for (int s = 0; s < services.length; s++) {
        List<String> command = new ArrayList<>(List.of(java, "-Dai.djl.offline=true", "-cp",
            System.getProperty("java.class.path"), "dev.pin.cli.Pin", "serve", services[s],
            "--" + services[s] + ".port=" + ports[s], "--" + services[s] + ".metrics-port=-1"));
        if (services[s].equals("orchestrator")) {
          command.add("--orchestrator.store-url=jdbc:sqlite:" + work.resolve("dist.db"));
          for (int p = 0; p < 3; p++) {
            command.add("--orchestrator." + services[p] + ".address=localhost:" + ports[p]);
          }
        }
        if (services[s].equals("policy")) {
          command.add("--policy.checkpoint-dir=" + work.resolve("dist-checkpoints"));
        }
        processes.add(new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(work.resolve(services[s] + ".log").toFile()).start());
      }
      ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", ports[3])
          .usePlaintext().build();
      OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorGrpc.newBlockingStub(channel);
      for (int attempt = 0; ; attempt++) {
        try {
          Run run = train(stub, spec(Method.METHOD_PIN, task, steps));
          double mean = meanStepSeconds(stub, run.getId());
          channel.shutdownNow();
          return mean;
        } catch (io.grpc.StatusRuntimeException e) {
          if (attempt > 60) {
            throw e;
          }
          Thread.sleep(1000); // the processes are still starting
        }
      }
    } finally {
      processes.forEach(Process::destroy);
    }
  }

  private static int free() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
