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
 * {@code pin sweep-lambda} and {@code pin report} end to end against an embedded ensemble on the
 * tiny random BERT (policy backbone, task model and scorer), reached over in-process channels.
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
    assertTrue(table.contains("tiny-bert, NATURALNESS_CONVENTION_MASKED_PSEUDO_PPL"), table);
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

  @Test
  void badLambdasAreUsageErrors() {
    CliRun r = run("sweep-lambda", spec.toString(), "--lambdas", "0,-1", "--out",
        home.resolve("x").toString(), "--address", orchestratorAddress);
    assertEquals(Pin.ExitCodes.USAGE, r.exit());
    assertTrue(r.err().contains("each λ must be ≥ 0, got -1.0"), r.err());
  }
}
