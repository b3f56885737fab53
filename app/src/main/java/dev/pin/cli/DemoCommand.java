package dev.pin.cli;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.cli.models.ModelsCommand;
import dev.pin.kit.config.Config;
import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.onnx.Int8Recipe;
import dev.pin.models.store.ModelStore;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.orchestrator.spec.RunSpecYaml;
import dev.pin.scorer.report.CurveChart;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.EvaluatePromptResponse;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code pin demo}: the main job on a laptop. Imports BERT-base when the store lacks it, starts the
 * embedded ensemble in this process, scores the empty and a manual prompt, trains PIN on the
 * team's demo sentiment set within a time budget, and compares the three prompts on held-out data.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Import BERT-base (once), start the embedded ensemble, train PIN on the demo "
        + "sentiment task within a time budget, and compare the learned prompt with the empty and "
        + "a manual prompt on held-out data (accuracy and naturalness); writes the training "
        + "curve as a PNG."})
final class DemoCommand implements Callable<Integer> {
  /** The classic manual prompt of the sentiment template "{sentence} {prompt} [MASK] .". */
  static final String MANUAL_PROMPT = "it was";

  @Option(names = "--minutes", defaultValue = "0",
      description = "Stop training after this many minutes (default: none; the demo's budget is "
          + "its steps, so that every machine learns the same prompt).")
  int minutes;

  @Option(names = "--steps", defaultValue = "0",
      description = "Training steps (default: the demo spec's).")
  long steps;

  @Option(names = "--seed", defaultValue = "0",
      description = "Seed of the run (default: the demo spec's, 7). The same seed on the same "
          + "machine trains the same prompts; README.md shows five seeds.")
  long seed;

  @Option(names = "--out", defaultValue = "pin-demo", paramLabel = "DIR",
      description = "Where the curve PNG and the run's JSON go (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--store", paramLabel = "JDBC_URL",
      description = "Run store (default: SQLite in the --out folder).")
  String store;

  @Override
  public Integer call() throws Exception {
    var model = new ModelStore(ModelStore.defaultHome()).find("bert-base-uncased");
    if (model.isEmpty()) {
      System.out.println("importing bert-base-uncased from Maven Central (once) ...");
      int imported = new CommandLine(new ModelsCommand()).execute("import", "bert-base-uncased");
      if (imported != 0) {
        return imported;
      }
    } else if (CpuFeatures.detect().hasVnni() && !BertModelWriter.int8Recipe(
        model.get().manifest()).equals(Optional.of(Int8Recipe.VNNI))) {
      // The reward runs int8 by default on this CPU once the accurate variant exists (issue #13).
      System.out.println("building bert-base-uncased's int8 variant for this CPU (once) ...");
      int imported = new CommandLine(new ModelsCommand()).execute("import", "bert-base-uncased");
      if (imported != 0) {
        return imported;
      }
    }
    Files.createDirectories(out);
    RunSpec spec = demoSpec();
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("orchestrator.store-url", store != null ? store
        : "jdbc:sqlite:" + out.toAbsolutePath().resolve("runs.db"));
    settings.put("policy.checkpoint-dir", out.toAbsolutePath().resolve("checkpoints").toString());
    for (String service : EmbeddedEnsemble.SERVICES) {
      settings.put(service + ".metrics-port", "-1");
    }
    try (EmbeddedEnsemble ensemble = EmbeddedEnsemble.create(Config.of(settings),
        "demo-" + UUID.randomUUID(), false)) {
      ensemble.start();
      if (!ensemble.awaitReady(5, TimeUnit.MINUTES)) {
        System.err.println("pin demo: the ensemble did not become ready (see the log)");
        return 1;
      }
      ManagedChannel channel = InProcessChannelBuilder
          .forName(ensemble.inProcessName("orchestrator")).build();
      try {
        return run(OrchestratorGrpc.newBlockingStub(channel), spec);
      } catch (StatusRuntimeException e) {
        System.err.println("pin demo: " + e.getStatus().getCode() + ": "
            + e.getStatus().getDescription());
        return Pin.ExitCodes.of(e.getStatus().getCode());
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private RunSpec demoSpec() throws IOException {
    try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/demo-pin.yaml")) {
      RunSpec spec = RunSpecYaml.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      RunSpec.Builder b = spec.toBuilder();
      if (minutes > 0) {
        b.getBudgetBuilder().setMaxDuration(com.google.protobuf.Duration.newBuilder()
            .setSeconds(minutes * 60L));
      }
      if (steps > 0) {
        b.getBudgetBuilder().setMaxSteps(steps);
      }
      if (seed != 0) {
        b.setSeed(seed);
      }
      return b.build();
    }
  }

  private int run(OrchestratorGrpc.OrchestratorBlockingStub orchestrator, RunSpec spec)
      throws IOException {
    System.out.println("scoring the baselines on the held-out test split ...");
    EvaluatePromptResponse empty = evaluate(orchestrator, spec, "");
    EvaluatePromptResponse manual = evaluate(orchestrator, spec, MANUAL_PROMPT);

    Run run = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(spec).build());
    System.out.printf(Locale.ROOT, "training PIN (run %s, seed %d): %d steps%s%n", run.getId(),
        run.getSpec().getSeed(), run.getSpec().getBudget().getMaxSteps(),
        minutes > 0 ? " or " + minutes + " minutes" : "");
    List<RunEvent> events = new ArrayList<>();
    RunProgress progress = new RunProgress(System.out, false,
        run.getSpec().getBudget().getMaxSteps());
    orchestrator.watchRun(WatchRunRequest.newBuilder().setRunId(run.getId()).build())
        .forEachRemaining(e -> {
          events.add(e);
          progress.print(e);
        });
    Run done = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(run.getId()).build());
    Path png = out.resolve("curve-" + run.getId() + ".png");
    Files.write(png, CurveChart.png("PIN on the demo sentiment task (" + run.getId() + ")",
        EnsembleClients.curves(run.getSpec(), events)));
    Files.writeString(out.resolve(run.getId() + ".json"), RunProgress.toJson(done));

    System.out.println();
    System.out.printf(Locale.ROOT, "seed %d, %d steps, %.1f s a step on average%n",
        done.getSpec().getSeed(), done.getStep(), events.stream().filter(RunEvent::hasStep)
            .mapToDouble(e -> e.getStep().getStepTime().getSeconds()
                + e.getStep().getStepTime().getNanos() / 1e9).average().orElse(Double.NaN));
    boolean tested = done.getBestPromptsCount() > 0 && done.getBestPrompts(0).getTested();
    // The whole learned prompt, never cut: it is the result a user copies.
    String textColumn = "%-" + Math.max(32, tested
        ? done.getBestPrompts(0).getPrompt().getText().length() + 3 : 0) + "s";
    System.out.printf(Locale.ROOT, "%-9s " + textColumn + " %-14s %s%n", "prompt", "text",
        "test accuracy", "pseudo-perplexity (BERT-base)");
    row(textColumn, "empty", "", empty.getScore(), null);
    row(textColumn, "manual", MANUAL_PROMPT, manual.getScore(), manual.getResult());
    if (tested) {
      ScoredPrompt learned = done.getBestPrompts(0);
      row(textColumn, "learned", learned.getPrompt().getText(), learned.getTestScore(), learned);
    } else {
      System.out.println("learned   (no tested prompt: the run ended " + done.getState() + ")");
    }
    System.out.println();
    System.out.println("training curve: " + png.toAbsolutePath());
    System.out.println("run record (spec, seed, models, prompts as text and token ids): "
        + out.resolve(run.getId() + ".json").toAbsolutePath());
    return 0;
  }

  private static EvaluatePromptResponse evaluate(
      OrchestratorGrpc.OrchestratorBlockingStub orchestrator, RunSpec spec, String prompt) {
    return orchestrator.evaluatePrompt(EvaluatePromptRequest.newBuilder()
        .setTask(spec.getTask()).setPromptText(prompt).setSplit(Split.SPLIT_TEST)
        .setWithNaturalness(!prompt.isEmpty()).build());
  }

  private static void row(
      String textColumn, String label, String text, double accuracy, ScoredPrompt scored) {
    String ppl = scored != null && scored.hasNaturalness()
        ? String.format(Locale.ROOT, "%.1f", scored.getNaturalness().getPerplexity())
        : text.isEmpty() ? "(no tokens)" : "-";
    System.out.printf(Locale.ROOT, "%-9s " + textColumn + " %-14s %s%n", label,
        "\"" + text + "\"",
        String.format(Locale.ROOT, "%.1f%%", accuracy), ppl);
  }
}
