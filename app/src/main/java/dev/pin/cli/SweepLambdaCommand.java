package dev.pin.cli;

import dev.pin.scorer.report.TradeOffChart;
import dev.pin.v1.ModelRef;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.NaturalnessResponse;
import dev.pin.v1.PenaltyFunction;
import dev.pin.v1.PerplexityPenalty;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptNaturalness;
import dev.pin.v1.Run;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.ScorerGrpc;
import dev.pin.v1.StartRunRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pin sweep-lambda SPEC.yaml --lambdas 0,0.1,1}: the perplexity-regularisation sweep of
 * ALGORITHMS.md §7.2. Runs the spec once per λ with {@code R′ = R − λ·g(PPL(z))} (the run spec's
 * {@code shaping.perplexity_penalty}, computed by the scorer inside the training loop), one run
 * after another, then scores every run's best prompt under one LM in one Naturalness call and
 * writes the trade-off (task score vs perplexity) as a PNG and a Markdown table.
 */
@Command(name = "sweep-lambda", mixinStandardHelpOptions = true,
    description = "Run a spec once per λ of the perplexity penalty R' = R - λ·g(PPL) and write "
        + "the trade-off between task score and prompt perplexity (sweep.md, tradeoff.png).")
final class SweepLambdaCommand implements Callable<Integer> {
  /** g of the penalty. */
  enum G { log, identity }

  @Parameters(arity = "1", paramLabel = "SPEC", description = "The run spec (YAML).")
  Path spec;

  @Option(names = "--lambdas", required = true, split = ",", paramLabel = "λ,λ,…",
      description = "Penalty weights, each ≥ 0 (0 = the unregularised run).")
  List<Double> lambdas;

  @Option(names = "--g", defaultValue = "log",
      description = "g in R' = R - λ·g(PPL): log or identity (default: ${DEFAULT-VALUE}).")
  G g;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Folder for sweep.md and tradeoff.png (created if missing).")
  Path out;

  @Mixin
  EnsembleConnection connection;

  @Option(names = "--run-timeout", defaultValue = "86400", paramLabel = "SECONDS",
      description = "Longest wait for one run (default: ${DEFAULT-VALUE}).")
  long runTimeout;

  /** One finished run of the sweep. */
  record Row(double lambda, Run run, ScoredPrompt best, PromptNaturalness naturalness) {
    /** The test score when the final evaluation ran, else the dev score; NaN without a prompt. */
    double score() {
      if (best == null) {
        return Double.NaN;
      }
      return best.getTested() ? best.getTestScore() : best.getDevScore();
    }

    String split() {
      return best == null ? "-" : best.getTested() ? "test" : "dev";
    }

    double perplexity() {
      return naturalness == null ? Double.NaN : naturalness.getPerplexity();
    }
  }

  @Override
  public Integer call() {
    RunSpec base = SpecFile.read(System.err, "sweep-lambda", spec).orElse(null);
    if (base == null) {
      return Pin.ExitCodes.USAGE;
    }
    for (double l : lambdas) {
      if (!Double.isFinite(l) || l < 0) {
        System.err.println("pin sweep-lambda: --lambdas: each λ must be ≥ 0, got " + l);
        return Pin.ExitCodes.USAGE;
      }
    }
    return connection.run("sweep-lambda", out, (orchestrator, scorer) -> {
      List<Row> rows = new ArrayList<>();
      for (double lambda : lambdas) {
        Run started = orchestrator.withDeadlineAfter(300, TimeUnit.SECONDS).startRun(
            StartRunRequest.newBuilder().setSpec(withPenalty(base, lambda, g)).build());
        System.out.printf(Locale.ROOT, "λ=%s: run %s ...%n", format(lambda), started.getId());
        EnsembleClients.follow(orchestrator, started.getId(), runTimeout);
        Run done = EnsembleClients.get(orchestrator.withDeadlineAfter(60, TimeUnit.SECONDS),
            started.getId());
        ScoredPrompt best = done.getBestPromptsCount() > 0 ? done.getBestPrompts(0) : null;
        System.out.printf(Locale.ROOT, "λ=%s: %s, best prompt \"%s\"%n", format(lambda),
            RunProgress.shortState(done.getState()),
            best == null ? "" : best.getPrompt().getText());
        rows.add(new Row(lambda, done, best, null));
      }
      ModelRef model = base.getShaping().getPerplexityPenalty().getModel();
      rows = withNaturalness(rows, scorer.withDeadlineAfter(300, TimeUnit.SECONDS), model);
      Files.createDirectories(out);
      String title = "λ sweep of " + base.getName() + " (g = " + g + ")";
      Path table = out.resolve("sweep.md");
      Files.writeString(table, markdown(title, rows), StandardCharsets.UTF_8);
      Path png = out.resolve("tradeoff.png");
      List<TradeOffChart.Point> points = new ArrayList<>();
      for (Row r : rows) {
        points.add(new TradeOffChart.Point("λ=" + format(r.lambda()), r.perplexity(), r.score()));
      }
      String lm = rows.stream().filter(r -> r.naturalness() != null).findFirst()
          .map(r -> r.naturalness().getModel().getName()).orElse("scorer's LM");
      Files.write(png, TradeOffChart.png(title, "perplexity of the best prompt (" + lm + ")",
          "task score of the best prompt", points));
      System.out.println("table: " + table.toAbsolutePath());
      System.out.println("trade-off curve: " + png.toAbsolutePath());
      return rows.stream().allMatch(r -> r.run().getState() == RunState.RUN_STATE_COMPLETED)
          ? 0 : 1;
    });
  }

  /** The spec with R′ = R − λ·g(PPL); the name says which λ. */
  static RunSpec withPenalty(RunSpec base, double lambda, G g) {
    RunSpec.Builder s = base.toBuilder();
    PerplexityPenalty.Builder penalty = s.getShaping().getPerplexityPenalty().toBuilder()
        .setLambda((float) lambda)
        .setFunction(g == G.log ? PenaltyFunction.PENALTY_FUNCTION_LOG
            : PenaltyFunction.PENALTY_FUNCTION_IDENTITY);
    s.setShaping(s.getShaping().toBuilder().setPerplexityPenalty(penalty));
    s.setName((base.getName().isBlank() ? "sweep" : base.getName()) + "-lambda-"
        + format(lambda));
    return s.build();
  }

  /** Every best prompt scored under one LM in one call, so the column compares like with like. */
  private static List<Row> withNaturalness(List<Row> rows, ScorerGrpc.ScorerBlockingStub scorer,
      ModelRef model) {
    NaturalnessRequest.Builder request = NaturalnessRequest.newBuilder().setModel(model);
    List<Integer> scored = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      ScoredPrompt best = rows.get(i).best();
      if (best != null && !best.getPrompt().getText().isBlank()) {
        request.addPrompts(Prompt.newBuilder().setText(best.getPrompt().getText()));
        scored.add(i);
      }
    }
    List<Row> out = new ArrayList<>(rows);
    if (scored.isEmpty()) {
      return out;
    }
    NaturalnessResponse response = scorer.naturalness(request.build());
    for (int j = 0; j < scored.size(); j++) {
      Row r = rows.get(scored.get(j));
      out.set(scored.get(j), new Row(r.lambda(), r.run(), r.best(), response.getResults(j)));
    }
    return out;
  }

  static String markdown(String title, List<Row> rows) {
    StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
    String provenance = rows.stream().filter(r -> r.naturalness() != null).findFirst()
        .map(r -> r.naturalness().getModel().getName() + ", "
            + r.naturalness().getConvention().name()).orElse("no prompt scored");
    md.append("Perplexity of each run's best prompt under ").append(provenance)
        .append("; task score on test when the final evaluation ran, else dev.\n\n");
    md.append("| λ | run | state | best prompt | task score | split | perplexity |\n");
    md.append("|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      md.append("| ").append(format(r.lambda()))
          .append(" | ").append(r.run().getId())
          .append(" | ").append(RunProgress.shortState(r.run().getState()))
          .append(" | ").append(r.best() == null ? "" : "`" + r.best().getPrompt().getText()
              .replace("|", "\\|").replace("`", "'") + "`")
          .append(" | ").append(number(r.score()))
          .append(" | ").append(r.split())
          .append(" | ").append(number(r.perplexity()))
          .append(" |\n");
    }
    return md.toString();
  }

  private static String number(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "-";
  }

  static String format(double lambda) {
    return lambda == Math.rint(lambda) && Math.abs(lambda) < 1e15
        ? Long.toString((long) lambda) : Double.toString(lambda);
  }
}
