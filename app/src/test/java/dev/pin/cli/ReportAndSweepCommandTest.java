package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.DescribeTaskRequest;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PenaltyFunction;
import dev.pin.v1.Prompt;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import dev.pin.v1.ScorerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pin sweep-readability} (also under its earlier name {@code pin sweep-lambda}) and {@code
 * pin report} end to end against an embedded ensemble on the tiny random BERT (policy backbone,
 * task model and scorer), reached over in-process channels.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportAndSweepCommandTest {
  private static final String[][] SENTENCES = {
      {"a great movie", "1"}, {"the best film", "1"}, {"really fun acting", "1"},
      {"i love this story", "1"}, {"a terrible plot", "0"}, {"the worst acting", "0"},
      {"so boring", "0"}, {"i hate this movie", "0"}};

  private Path home;
  private EmbeddedEnsemble ensemble;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private OrchestratorGrpc.OrchestratorBlockingStub orchestrator;
  private ScorerGrpc.ScorerBlockingStub scorer;
  private String orchestratorAddress;
  private String scorerAddress;
  private Path spec;
  /** PIN and PEZ on the task of {@link #spec}, 4 steps each: the readability sweep's specs. */
  private Path pinSpec;
  private Path pezSpec;
  /** RLPrompt on another task (other verbalizers). */
  private Path otherTaskSpec;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    home = dir;
    TinyModels.bertMlm(home.resolve("models").resolve("tiny-bert"), 3);
    StringBuilder tsv = new StringBuilder("sentence\tlabel\n");
    for (String[] s : SENTENCES) {
      tsv.append(s[0]).append('\t').append(s[1]).append('\n');
    }
    Files.createDirectories(home.resolve("data/16-1"));
    Files.writeString(home.resolve("data/16-1/train.tsv"), tsv);
    Files.writeString(home.resolve("data/16-1/dev.tsv"), tsv);
    Files.writeString(home.resolve("data/test.tsv"), tsv);
    Path words = home.resolve("words.txt");
    Files.write(words, List.of("a", "the", "movie", "great", "fun", "film", "plot", "so"),
        StandardCharsets.UTF_8);
    spec = home.resolve("sweep.yaml");
    Files.writeString(spec, String.join("\n",
        "name: tiny-sweep",
        "method: rlprompt",
        "task:",
        "  classification:",
        "    task_model: { name: tiny-bert }",
        "    verbalizers: [terrible, great]",
        "    data:",
        "      few_shot: { dir: data, split_seed: 1 }",
        "policy:",
        "  backbone: { name: tiny-bert }",
        "  mlp_hidden_size: 32",
        "prompts_per_step: 4",
        "budget: { max_steps: 4 }",
        "evaluation: { every_steps: 2, top_prompts: 2 }",
        "checkpoint_every_steps: 4",
        "seed: 5",
        ""));
    String task = String.join("\n",
        "task:",
        "  classification:",
        "    task_model: { name: tiny-bert }",
        "    verbalizers: [terrible, great]",
        "    data:",
        "      few_shot: { dir: data, split_seed: 1 }",
        "");
    String fourSteps = String.join("\n",
        "budget: { max_steps: 4 }",
        "evaluation: { every_steps: 2, top_prompts: 2 }",
        "checkpoint_every_steps: 2",
        "seed: 5",
        "");
    pinSpec = home.resolve("trade-pin.yaml");
    Files.writeString(pinSpec, "name: tiny-trade-pin\nmethod: pin\n" + task + String.join("\n",
        "policy:",
        "  backbone: { name: tiny-bert }",
        "  mlp_hidden_size: 32",
        "  replay: { enabled: true, capacity: 256, warmup: 8, batch_size: 8 }",
        "prompts_per_step: 4",
        "") + fourSteps);
    pezSpec = home.resolve("trade-pez.yaml");
    Files.writeString(pezSpec, "name: tiny-trade-pez\nmethod: pez\n" + task
        + "pez: { prompt_length: 3 }\n" + fourSteps);
    otherTaskSpec = home.resolve("other-task.yaml");
    Files.writeString(otherTaskSpec, "name: other\nmethod: rlprompt\n"
        + task.replace("[terrible, great]", "[bad, good]") + fourSteps);
    String prefix = "cli-" + UUID.randomUUID();
    Map<String, String> config = new java.util.HashMap<>(Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "orchestrator.store-url", "jdbc:sqlite:" + home.resolve("runs.db"),
        "orchestrator.data-dir", home.toString(),
        "orchestrator.metrics-port", "-1", "policy.metrics-port", "-1",
        "reward.metrics-port", "-1", "scorer.metrics-port", "-1",
        "scorer.model", "tiny-bert"));
    config.put("scorer.word-list", words.toString());
    // One task at a time, so that registering another evicts the runs' task: what a restarted
    // Reward service looks like to `pin report`.
    config.put("reward.max-tasks", "1");
    ensemble = EmbeddedEnsemble.create(Config.of(config), prefix, false);
    ensemble.start();
    assertTrue(ensemble.awaitReady(60, TimeUnit.SECONDS));
    orchestratorAddress = "in-process:" + ensemble.inProcessName("orchestrator");
    scorerAddress = "in-process:" + ensemble.inProcessName("scorer");
    ManagedChannel o = InProcessChannelBuilder.forName(ensemble.inProcessName("orchestrator"))
        .build();
    ManagedChannel s = InProcessChannelBuilder.forName(ensemble.inProcessName("scorer")).build();
    channels.addAll(List.of(o, s));
    orchestrator = OrchestratorGrpc.newBlockingStub(o);
    scorer = ScorerGrpc.newBlockingStub(s);
  }

  @AfterAll
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (ensemble != null) {
      ensemble.close();
    }
  }

  private static CliRun run(String... args) {
    return runWith(Map.of(), args);
  }

  private static CliRun runWith(Map<String, String> env, String... args) {
    return CliRun.of(env, args);
  }

  private static BufferedImage png(Path file) throws Exception {
    BufferedImage image = ImageIO.read(file.toFile());
    assertTrue(image != null, file + " decodes as an image");
    return image;
  }

  private List<Run> runsNamed(String prefix) {
    return orchestrator.listRuns(ListRunsRequest.newBuilder().setPageSize(1000).build())
        .getRunsList().stream().filter(r -> r.getSpec().getName().startsWith(prefix))
        .sorted(Comparator.comparing(Run::getId)).toList();
  }

  @Test
  void sweepRunsOncePerLambdaAndWritesTheTradeOffThenReportRendersTheRuns() throws Exception {
    // Under target/ (not the temp dir) so a person can look at the PNGs after the build.
    Path sweepOut = Path.of("target", "cli-report-test", "sweep");
    CliRun sweep = run("sweep-lambda", spec.toString(), "--lambdas", "0,1", "--g", "log",
        "--out", sweepOut.toString(), "--address", orchestratorAddress,
        "--scorer-address", scorerAddress);
    assertEquals(0, sweep.exit(), sweep.out() + sweep.err());

    List<Run> runs = new ArrayList<>();
    for (String lambda : List.of("0", "1")) {
      List<Run> named = runsNamed("tiny-sweep-lambda-" + lambda);
      assertEquals(1, named.size(), "one run for λ=" + lambda);
      Run r = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(named.get(0).getId())
          .build());
      assertEquals(RunState.RUN_STATE_COMPLETED, r.getState());
      assertEquals(4, r.getStep());
      assertEquals(Float.parseFloat(lambda),
          r.getSpec().getShaping().getPerplexityPenalty().getLambda(), "λ reached the run spec");
      assertEquals(PenaltyFunction.PENALTY_FUNCTION_LOG,
          r.getSpec().getShaping().getPerplexityPenalty().getFunction());
      runs.add(r);
    }

    String table = Files.readString(sweepOut.resolve("sweep.md"));
    for (Run r : runs) {
      String text = r.getBestPrompts(0).getPrompt().getText();
      double ppl = scorer.naturalness(NaturalnessRequest.newBuilder()
          .addPrompts(Prompt.newBuilder().setText(text)).build()).getResults(0).getPerplexity();
      double score = r.getBestPrompts(0).getTested() ? r.getBestPrompts(0).getTestScore()
          : r.getBestPrompts(0).getDevScore();
      String row = table.lines().filter(l -> l.contains(r.getId())).findFirst().orElseThrow();
      assertTrue(row.contains("`" + text + "`"), row);
      assertTrue(row.contains(String.format(java.util.Locale.ROOT, "%.2f", ppl)),
          "perplexity " + ppl + " in " + row);
      assertTrue(row.contains(String.format(java.util.Locale.ROOT, "%.2f", score)),
          "score " + score + " in " + row);
    }
    assertTrue(table.contains("tiny-bert (NATURALNESS_CONVENTION_MASKED_PSEUDO_PPL)"), table);
    BufferedImage chart = png(sweepOut.resolve("tradeoff.png"));
    assertEquals(900, chart.getWidth());

    // The report of both runs, in Markdown and in HTML.
    Path reportOut = Path.of("target", "cli-report-test", "report");
    for (String format : List.of("md", "html")) {
      CliRun report = run("report", runs.get(0).getId(), runs.get(1).getId(), "--out",
          reportOut.toString(), "--format", format, "--address", orchestratorAddress,
          "--scorer-address", scorerAddress);
      assertEquals(0, report.exit(), report.out() + report.err());
      String doc = Files.readString(reportOut.resolve("report." + format));
      for (Run r : runs) {
        assertTrue(doc.contains(r.getId()), r.getId() + " in the report");
        assertTrue(doc.contains("curves-" + r.getId() + ".png"), "curves referenced");
        BufferedImage curves = png(reportOut.resolve("curves-" + r.getId() + ".png"));
        assertTrue(curves.getHeight() > 240, "several curve panels");
      }
      // Two runs with curves: their dev score and reward overlaid on shared axes.
      assertTrue(doc.contains("comparison.png"), doc);
      assertEquals(900, png(reportOut.resolve("comparison.png")).getWidth());
      assertTrue(doc.contains("dev_score") || doc.contains("dev\\_score"),
          "task score columns in\n" + doc);
      assertTrue(doc.contains("pseudo-PPL"), "readability columns");
      assertTrue(doc.contains("round trip") && doc.contains("R(text) − R(ids)"),
          "faithfulness columns from the runs' task handles in\n" + doc);
      if (format.equals("md")) {
        // The policy's prompts carry their ids: each run's best prompt has a measured round trip
        // (0 or 1) and gap in the last two columns.
        java.util.regex.Matcher rows = java.util.regex.Pattern
            .compile("(?m)^\\| best 1 .* \\| [01] \\| -?[0-9][0-9.E-]* \\|$").matcher(doc);
        assertEquals(runs.size(), rows.results().count(), doc);
      }
    }
    // Another task evicts the runs' task from the Reward service (reward.max-tasks = 1), as a
    // restart would: the report registers it again and still measures both columns.
    String handle = runs.get(0).getProvenanceOrThrow("task_handle");
    orchestrator.evaluatePrompt(EvaluatePromptRequest.newBuilder().setPromptText("so")
        .setTask(runs.get(0).getSpec().getTask().toBuilder().setClassification(runs.get(0)
            .getSpec().getTask().getClassification().toBuilder().clearVerbalizers()
            .addVerbalizers("bad").addVerbalizers("good"))).build());
    ManagedChannel r = InProcessChannelBuilder.forName(ensemble.inProcessName("reward")).build();
    channels.add(r);
    StatusRuntimeException forgotten = assertThrows(StatusRuntimeException.class,
        () -> RewardGrpc.newBlockingStub(r).describeTask(
            DescribeTaskRequest.newBuilder().setHandle(handle).build()));
    assertEquals(Status.Code.NOT_FOUND, forgotten.getStatus().getCode());
    CliRun again = run("report", runs.get(0).getId(), runs.get(1).getId(), "--out",
        reportOut.toString(), "--address", orchestratorAddress, "--scorer-address", scorerAddress);
    assertEquals(0, again.exit(), again.out() + again.err());
    String doc = Files.readString(reportOut.resolve("report.md"));
    assertFalse(doc.contains("not measured"), doc);
    assertEquals(runs.size(), java.util.regex.Pattern
        .compile("(?m)^\\| best 1 .* \\| [01] \\| -?[0-9][0-9.E-]* \\|$").matcher(doc)
        .results().count(), doc);

    CliRun missing = run("report", "run-nope", "--out", reportOut.toString(),
        "--address", orchestratorAddress, "--scorer-address", scorerAddress);
    // An unknown run is the caller's mistake (USAGE), and the error names the service.
    assertEquals(Pin.ExitCodes.USAGE, missing.exit());
    assertTrue(missing.err().contains("the orchestrator at " + orchestratorAddress
        + " (from --address) answered NOT_FOUND"), missing.err());
  }

  @Test
  void reportNamesTheScorerWhenTheScorerIsTheServiceThatCannotBeReached() throws Exception {
    Run run = orchestrator.startRun(dev.pin.v1.StartRunRequest.newBuilder()
        .setSpec(dev.pin.orchestrator.spec.RunSpecYaml.read(spec)).build());
    EnsembleClients.follow(orchestrator, run.getId(), 120);
    CliRun r = runWith(Map.of("PIN_ADDRESS", orchestratorAddress,
        "PIN_SCORER_ADDRESS", "localhost:1"), "report", run.getId(), "--out",
        home.resolve("unreachable").toString());
    assertEquals(Pin.ExitCodes.FAILED, r.exit(), r.err());
    assertTrue(r.err().startsWith("pin report: cannot reach the scorer at localhost:1 (from "
        + "$PIN_SCORER_ADDRESS): UNAVAILABLE"), r.err());
    assertTrue(r.err().contains("point --scorer-address or $PIN_SCORER_ADDRESS at the running "
        + "scorer"), r.err());
  }

  private static String[] args(List<String> head, String... tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all.toArray(String[]::new);
  }

  private static long count(String text, String what) {
    return java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(what)).matcher(text)
        .results().count();
  }

  /** Pixels of exactly {@code rgb} in the image. */
  private static int coloured(BufferedImage image, int rgb) {
    int n = 0;
    for (int x = 0; x < image.getWidth(); x++) {
      for (int y = 0; y < image.getHeight(); y++) {
        if ((image.getRGB(x, y) & 0xffffff) == rgb) {
          n++;
        }
      }
    }
    return n;
  }

  @Test
  void readabilitySweepOfPinAndPezDrawsOneTradeOffAndARestartTrainsNothingNew() throws Exception {
    // Under target/ (not the temp dir) so a person can look at the chart after the build.
    Path out = Path.of("target", "cli-report-test", "readability");
    List<String> connect = List.of("--out", out.toString(), "--address", orchestratorAddress,
        "--scorer-address", scorerAddress);
    // What an interrupted sweep leaves behind: PIN at λ = 0 completed ...
    CliRun first = run(args(List.of("sweep-readability", pinSpec.toString(), "--lambdas", "0"),
        connect.toArray(String[]::new)));
    assertEquals(0, first.exit(), first.out() + first.err());
    List<Run> earlier = runsNamed("tiny-trade-pin-lambda-0-");
    assertEquals(1, earlier.size());
    // ... and PEZ at w = 0.5 stopped before it finished.
    dev.pin.v1.RunSpec stopped = SweepReadabilityCommand.runSpec(
        dev.pin.orchestrator.spec.RunSpecYaml.read(pezSpec), SweepReadabilityCommand.Knob.W, 0.5,
        SweepReadabilityCommand.G.log);
    Run cancelled = orchestrator.startRun(dev.pin.v1.StartRunRequest.newBuilder()
        .setSpec(stopped).build());
    orchestrator.cancelRun(dev.pin.v1.CancelRunRequest.newBuilder().setRunId(cancelled.getId())
        .build());
    dev.pin.kit.testing.Await.until("the PEZ run to stop", java.time.Duration.ofSeconds(60),
        () -> orchestrator.getRun(GetRunRequest.newBuilder().setRunId(cancelled.getId()).build())
            .getState() == RunState.RUN_STATE_CANCELLED);

    String[] sweep = args(List.of("sweep-readability", pinSpec.toString(), pezSpec.toString(),
        "--lambdas", "0,1", "--w", "0,0.5"), connect.toArray(String[]::new));
    CliRun full = run(sweep);
    assertEquals(0, full.exit(), full.out() + full.err());
    assertTrue(full.out().contains("PIN λ=0: run " + earlier.get(0).getId()
        + " completed earlier (4 steps): reused"), full.out());
    assertTrue(full.out().contains("PEZ w=0.5: run " + cancelled.getId() + " was cancelled"),
        full.out());
    assertEquals(2, count(full.out(), ") started"), "two new runs: PIN λ=1 and PEZ w=0\n"
        + full.out());

    List<Run> runs = new ArrayList<>();
    for (String[] point : new String[][] {{"pin", "lambda", "0"}, {"pin", "lambda", "1"},
        {"pez", "w", "0"}, {"pez", "w", "0.5"}}) {
      List<Run> named = runsNamed("tiny-trade-" + point[0] + "-" + point[1] + "-" + point[2]
          + "-");
      assertEquals(1, named.size(), String.join(" ", point));
      Run r = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(named.get(0).getId())
          .build());
      assertEquals(RunState.RUN_STATE_COMPLETED, r.getState(), String.join(" ", point));
      assertEquals(4, r.getStep());
      float value = Float.parseFloat(point[2]);
      if (point[0].equals("pin")) {
        assertEquals(dev.pin.v1.Method.METHOD_PIN, r.getSpec().getMethod());
        assertEquals(value, r.getSpec().getShaping().getPerplexityPenalty().getLambda());
      } else {
        assertEquals(dev.pin.v1.Method.METHOD_PEZ, r.getSpec().getMethod());
        assertEquals(value, r.getSpec().getPez().getFluencyWeight(), "w reached the run spec");
      }
      runs.add(r);
    }
    assertEquals(cancelled.getId(), runs.get(3).getId(), "the cancelled run was resumed");

    // The table: one row per run, its output prompt's test score and pseudo-perplexity.
    String table = Files.readString(out.resolve("sweep.md"));
    List<String> rows = table.lines().filter(l -> l.startsWith("| PIN |")
        || l.startsWith("| PEZ |")).toList();
    assertEquals(4, rows.size(), table);
    String[] values = {"λ = 0", "λ = 1", "w = 0", "w = 0.5"};
    for (int i = 0; i < 4; i++) {
      Run r = runs.get(i);
      String row = rows.get(i);
      String text = r.getBestPrompts(0).getPrompt().getText();
      double ppl = scorer.naturalness(NaturalnessRequest.newBuilder()
          .addPrompts(Prompt.newBuilder().setText(text)).build()).getResults(0).getPerplexity();
      assertTrue(r.getBestPrompts(0).getTested(), "the final evaluation scored it on test");
      assertTrue(row.startsWith("| " + (i < 2 ? "PIN" : "PEZ") + " | " + values[i] + " | 5 | `"
          + text + "` | " + String.format(java.util.Locale.ROOT, "%.2f | %.2f | 4 |",
              r.getBestPrompts(0).getTestScore(), ppl)), row);
      assertTrue(row.endsWith("| completed | " + r.getId() + " |"), row);
    }
    assertTrue(table.contains("tiny-bert (NATURALNESS_CONVENTION_MASKED_PSEUDO_PPL)"), table);
    assertTrue(table.contains("∈ {0, 1}; 4 steps × 4 prompts\n")
        && table.contains("∈ {0, 0.5}; 4 steps\n"), "each method's budget in\n" + table);

    // The chart: both series drawn, their points labelled in their colours.
    BufferedImage chart = png(out.resolve("tradeoff.png"));
    assertEquals(dev.pin.scorer.report.TradeOffChart.WIDTH, chart.getWidth());
    for (int rgb : new int[] {0x1f77b4, 0xd62728}) {
      assertTrue(coloured(chart, rgb) > 30, Integer.toHexString(rgb) + " series drawn");
      int label = new java.awt.Color(rgb).darker().getRGB() & 0xffffff;
      assertTrue(coloured(chart, label) > 10, Integer.toHexString(label) + " labels drawn");
    }

    // Started again, the sweep finds all four runs and trains nothing.
    int stored = orchestrator.listRuns(ListRunsRequest.newBuilder().setPageSize(1000).build())
        .getRunsCount();
    CliRun again = run(sweep);
    assertEquals(0, again.exit(), again.out() + again.err());
    assertEquals(4, count(again.out(), "completed earlier (4 steps): reused"), again.out());
    assertEquals(stored, orchestrator.listRuns(ListRunsRequest.newBuilder().setPageSize(1000)
        .build()).getRunsCount());
    assertEquals(rows, Files.readString(out.resolve("sweep.md")).lines()
        .filter(l -> l.startsWith("| PIN |") || l.startsWith("| PEZ |")).toList());
  }

  @Test
  void seedsRunEveryPointOncePerSeedAndTheTableAddsTheMeanOfEachPoint() throws Exception {
    Path out = home.resolve("seeds");
    List<String> connect = List.of("--out", out.toString(), "--address", orchestratorAddress,
        "--scorer-address", scorerAddress);
    CliRun sweep = run(args(List.of("sweep-readability", pinSpec.toString(), "--lambdas", "2",
        "--seeds", "5,6"), connect.toArray(String[]::new)));
    assertEquals(0, sweep.exit(), sweep.out() + sweep.err());
    List<Run> named = runsNamed("tiny-trade-pin-lambda-2-");
    assertEquals(2, named.size(), "one run per seed");
    List<Run> runs = new ArrayList<>();
    for (Run n : named) {
      runs.add(orchestrator.getRun(GetRunRequest.newBuilder().setRunId(n.getId()).build()));
    }
    runs.sort(java.util.Comparator.comparingLong(r -> r.getSpec().getSeed()));
    assertEquals(List.of(5L, 6L), runs.stream().map(r -> r.getSpec().getSeed()).toList());
    // Seed 5 is the spec's own: its run is the one a sweep without --seeds trains.
    assertEquals(SweepReadabilityCommand.runSpec(dev.pin.orchestrator.spec.RunSpecYaml
        .read(pinSpec), SweepReadabilityCommand.Knob.LAMBDA, 2, SweepReadabilityCommand.G.log)
        .getName(), runs.get(0).getSpec().getName());
    String table = Files.readString(out.resolve("sweep.md"));
    assertTrue(table.lines().findFirst().orElseThrow()
        .endsWith("split 1), mean over seeds 5, 6"), table);
    double mean = (runs.get(0).getBestPrompts(0).getTestScore()
        + runs.get(1).getBestPrompts(0).getTestScore()) / 2;
    assertTrue(table.contains(String.format(java.util.Locale.ROOT, "| PIN | λ = 2 | 2 | %.2f ± ",
        mean)), "the point's mean over its two runs in\n" + table);
    assertEquals(2, table.lines().filter(l -> l.startsWith("| PIN | λ = 2 | 5 |")
        || l.startsWith("| PIN | λ = 2 | 6 |")).count(), table);

    // Without --seeds the spec's own seed: the seed-5 run, reused.
    CliRun own = run(args(List.of("sweep-readability", pinSpec.toString(), "--lambdas", "2"),
        connect.toArray(String[]::new)));
    assertEquals(0, own.exit(), own.out() + own.err());
    assertTrue(own.out().contains("PIN λ=2: run " + runs.get(0).getId()
        + " completed earlier (4 steps): reused"), own.out());

    for (String[] bad : new String[][] {{"0", "each seed must be 1 or more, got 0"},
        {"1,x", "'x' is not a whole number"}, {"3,3", "3 is given twice"}}) {
      CliRun r = run("sweep-readability", pinSpec.toString(), "--lambdas", "0", "--seeds",
          bad[0], "--out", "x", "--address", orchestratorAddress);
      assertEquals(Pin.ExitCodes.USAGE, r.exit(), bad[0]);
      assertTrue(r.err().contains("pin sweep-readability: --seeds: " + bad[1]), r.err());
    }
  }

  @Test
  void badSweepArgumentsAreRefusedBeforeAnyRunStarts() {
    String pin = pinSpec.toString();
    String pez = pezSpec.toString();
    String[][] cases = {
        {pez, "--w", "0,1.5", "--w: each w must be in [0, 1]"},
        {pez, "--w", "-0.1", "--w: each w must be in [0, 1] (PEZ's w·NLL(prompt) + (1−w)·L_task), "
            + "got -0.1"},
        {pin, "--lambdas", "0,-1", "--lambdas: each λ must be ≥ 0, got -1"},
        {pin, "--lambdas", "", "--lambdas: no values; give one or more, e.g. --lambdas 0,1,5"},
        {pez, "--w", ",", "--w: no values"},
        {pin, "--lambdas", "0,1,0", "--lambdas: 0 is given twice"},
        {pin, "--lambdas", "x", "--lambdas: 'x' is not a number"},
        {pez, "--lambdas", "0,1", "--lambdas sweeps λ of RLPrompt's and PIN's reward R − λ·g(PPL), "
            + "but no spec has method rlprompt or pin (given: PEZ); PEZ is swept over --w"},
        {pez, "--lambdas", "0,1", pez + " has method PEZ, which is swept over w: give --w"},
        {pin, "--w", "0.5", "--w sweeps PEZ's fluency weight w, but no spec has method pez "
            + "(given: PIN)"},
        {pin, "--w", "0.5", pin + " has method PIN, which is swept over λ: give --lambdas"}};
    int before = orchestrator.listRuns(ListRunsRequest.newBuilder().setPageSize(1000).build())
        .getRunsCount();
    for (String[] c : cases) {
      CliRun r = run("sweep-readability", c[0], c[1], c[2], "--out", home.resolve("x").toString(),
          "--address", orchestratorAddress, "--scorer-address", scorerAddress);
      assertEquals(Pin.ExitCodes.USAGE, r.exit(), String.join(" ", c));
      assertTrue(r.err().contains("pin sweep-readability: " + c[3]), c[3] + " in\n" + r.err());
    }
    CliRun twice = run("sweep-readability", pin, pin, "--lambdas", "0", "--out", "x",
        "--address", orchestratorAddress);
    assertEquals(Pin.ExitCodes.USAGE, twice.exit());
    assertTrue(twice.err().contains(pin + ": a second PIN spec; give one spec per method"),
        twice.err());
    CliRun otherTask = run("sweep-readability", pin, otherTaskSpec.toString(), "--lambdas", "0",
        "--out", "x", "--address", orchestratorAddress);
    assertEquals(Pin.ExitCodes.USAGE, otherTask.exit());
    assertTrue(otherTask.err().contains(otherTaskSpec + " trains another task than " + pin
        + " (task.classification.verbalizers differ)"), otherTask.err());
    // The earlier name of the command checks the same.
    CliRun old = run("sweep-lambda", spec.toString(), "--lambdas", "0,-1", "--out", "x",
        "--address", orchestratorAddress);
    assertEquals(Pin.ExitCodes.USAGE, old.exit());
    assertTrue(old.err().contains("each λ must be ≥ 0, got -1"), old.err());
    assertEquals(before, orchestrator.listRuns(ListRunsRequest.newBuilder().setPageSize(1000)
        .build()).getRunsCount(), "no run started");
  }
}
