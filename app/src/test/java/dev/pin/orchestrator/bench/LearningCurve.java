package dev.pin.orchestrator.bench;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.orchestrator.loop.BestPrompts;
import dev.pin.orchestrator.spec.RunSpecYaml;
import dev.pin.v1.Budget;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.EvaluatePromptResponse;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.FewShotData;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.ListRunsResponse;
import dev.pin.v1.ModelRef;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.StepMetrics;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The learning-curve benchmark of issue #13: each method variant (a run-spec YAML) trained on
 * 16-shot SST-2 with BERT-base over several splits and seeds at one budget; at fixed step counts
 * the prompt the run would output at that point (its best prompt so far, ranked as the run ranks
 * them) is evaluated on the whole SST-2 test set, and the table gives mean ± sd over runs next to
 * the empty and manual prompts, with pseudo-perplexity and seconds per step. Writes
 * {@code learning-curve.png} (test accuracy vs step, a band of ± sd per variant, the manual prompt
 * as a horizontal line) and {@code learning-curve.md}.
 *
 * <pre>
 * ./bench app dev.pin.orchestrator.bench.LearningCurve [--steps 200] [--at 25,50,100,200]
 *     [--seconds T] [--seeds 1,2,3] [--splits 42,13] [--out DIR] [--report-only]
 *     [--output-rules run,dev,greedy-dev] VARIANT.yaml...
 * </pre>
 *
 * With {@code --seconds T} the methods get equal wall-clock time instead of equal steps (issue
 * #14 item 5: a PEZ step costs several RL steps): each run's budget is T seconds (and at most
 * {@code --steps}), {@code --at} points are seconds since StartRun, and the output prompt at t is
 * the one the run would output after the last step it finished by t (its dev evaluations count as
 * its own time). The diagnostics add the steps each method finished by each point.
 *
 * Each finished run is appended to {@code DIR/runs.tsv} and each test evaluation to
 * {@code DIR/test.tsv}: a rerun with the same DIR skips what is done, so a long benchmark can be
 * stopped and continued; {@code --report-only} trains nothing and reports the runs DIR holds. The
 * variant files set everything but the task data, the seed and the step budget, which the
 * benchmark sets ({@code examples/learning-curve/}). {@code --output-rules} adds a table that
 * picks each run's output prompt by other rules from the same runs' dev evaluations (read back
 * from the run store in DIR), which ablates the output rule without training again.
 */
public final class LearningCurve {
  private static final String MANUAL = "it was";

  private final OrchestratorGrpc.OrchestratorBlockingStub stub;
  private final Path out;
  private final String data;
  /** (split seed, prompt text) → test accuracy and pseudo-perplexity, also in test.tsv. */
  private final Map<String, double[]> testCache = new LinkedHashMap<>();
  /** Wall-clock budget per run in seconds, 0 for a step budget. */
  private final long seconds;

  private LearningCurve(OrchestratorGrpc.OrchestratorBlockingStub stub, Path out, String data,
      long seconds) {
    this.stub = stub;
    this.out = out;
    this.data = data;
    this.seconds = seconds;
  }

  /** "step 25" or "300 s": a point of the curve in the table headers. */
  private String pointLabel(long point) {
    return seconds > 0 ? point + " s" : "step " + point;
  }

  /**
   * One finished run: the output prompt at each point (a step, or seconds with {@code --seconds}),
   * and its timing; diagnostics per point as {@link #diagnosticsAt} writes them.
   */
  record RunResult(String variant, int split, int seed, List<String> prompts, double stepSeconds,
      List<String> diagnostics) {}

  public static void main(String[] args) throws Exception {
    long steps = 200;
    List<Long> at = List.of(25L, 50L, 100L, 200L);
    List<Integer> seeds = List.of(1, 2, 3);
    List<Integer> splits = List.of(42, 13);
    Path out = Path.of("learning-curve");
    boolean reportOnly = false;
    long seconds = 0;
    List<OutputRule> rules = List.of(OutputRule.RUN);
    String dataDir = Path.of("../shared/data/few-shot/sst-2").toAbsolutePath().toString();
    List<Path> variants = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--steps" -> steps = Long.parseLong(args[++i]);
        case "--at" -> at = Arrays.stream(args[++i].split(",")).map(Long::parseLong).toList();
        case "--seeds" -> seeds = Arrays.stream(args[++i].split(",")).map(Integer::parseInt)
            .toList();
        case "--splits" -> splits = Arrays.stream(args[++i].split(",")).map(Integer::parseInt)
            .toList();
        case "--out" -> out = Path.of(args[++i]);
        case "--data" -> dataDir = args[++i];
        case "--report-only" -> reportOnly = true;
        case "--seconds" -> seconds = Long.parseLong(args[++i]);
        case "--output-rules" -> rules = Arrays.stream(args[++i].split(","))
            .map(OutputRule::parse).toList();
        default -> variants.add(Path.of(args[i]));
      }
    }
    if (variants.isEmpty()) {
      System.err.println("usage: LearningCurve [--steps N] [--at S1,S2,...] [--seeds A,B,C] "
          + "[--splits 42,13] [--seconds T] [--out DIR] [--report-only] "
          + "[--output-rules run,dev,greedy-dev] VARIANT.yaml...");
      System.exit(2);
    }
    if (seconds > 0 && !rules.equals(List.of(OutputRule.RUN))) {
      System.err.println("--output-rules works on step points; leave it out with --seconds");
      System.exit(2);
    }
    final long budget = seconds > 0 ? seconds : steps;
    final List<Long> points = at.stream().filter(s -> s <= budget).toList();
    Files.createDirectories(out);
    String data = dataDir.startsWith("classpath:") ? dataDir
        : Path.of(dataDir).toAbsolutePath().toString();
    Config config = Config.of(Map.of(
        "orchestrator.store-url", "jdbc:sqlite:" + out.toAbsolutePath().resolve("runs.db"),
        "policy.checkpoint-dir", out.toAbsolutePath().resolve("checkpoints").toString(),
        "orchestrator.metrics-port", "-1", "policy.metrics-port", "-1",
        "reward.metrics-port", "-1", "scorer.metrics-port", "-1"));
    System.out.printf(Locale.ROOT, "%d cores; %s, 16-shot splits %s, seeds %s, %s; output "
        + "prompts tested on its test.tsv at %s %s%n", Runtime.getRuntime().availableProcessors(),
        data, splits, seeds, seconds > 0 ? seconds + " s (at most " + steps + " steps)"
            : steps + " steps", seconds > 0 ? "seconds" : "steps", points);
    try (EmbeddedEnsemble ensemble = EmbeddedEnsemble.create(config,
        "bench-" + UUID.randomUUID(), false)) {
      ensemble.start();
      ensemble.awaitReady(5, TimeUnit.MINUTES);
      ManagedChannel channel = InProcessChannelBuilder
          .forName(ensemble.inProcessName("orchestrator")).build();
      LearningCurve bench = new LearningCurve(OrchestratorGrpc.newBlockingStub(channel), out,
          data, seconds);
      bench.loadTestCache();
      List<RunResult> results = bench.loadRuns();
      // Methods and splits interleave within a seed, so that a benchmark stopped early has
      // compared the methods on the same runs and has seen every split.
      for (int seed : seeds) {
        for (int split : splits) {
          for (Path variant : variants) {
            String name = variantName(variant);
            if (reportOnly || results.stream().anyMatch(r -> r.variant().equals(name)
                && r.split() == split && r.seed() == seed
                && r.prompts().size() >= points.size())) {
              continue;
            }
            RunResult r = bench.train(variant, split, seed, steps, points);
            bench.appendRun(r);
            results.add(r);
            for (String prompt : r.prompts()) { // scored now, so a stopped benchmark keeps them
              double[] t = bench.test(split, prompt);
              System.out.printf(Locale.ROOT, "  test \"%s\": %.1f%% (pseudo-PPL %.1f)%n", prompt,
                  t[0], t[1]);
            }
          }
        }
      }
      String report = bench.report(variants.stream().map(LearningCurve::variantName).toList(),
          results, splits, seeds, points, budget);
      if (!rules.equals(List.of(OutputRule.RUN))) {
        report += bench.outputRuleReport(variants.stream().map(LearningCurve::variantName)
            .toList(), results, splits, seeds, points, rules);
      }
      System.out.print(report);
      Files.writeString(out.resolve("learning-curve.md"), report);
      channel.shutdownNow();
    }
  }

  static String variantName(Path file) {
    return file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
  }

  private TaskSpec task(int split) {
    return TaskSpec.newBuilder().setClassification(ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("bert-base-uncased"))
        .setData(DataSource.newBuilder().setFewShot(FewShotData.newBuilder()
            .setDir(data).setSplitSeed(split)))).build();
  }

  /** Trains one variant on one split and seed; the output prompt at each step of {@code at}. */
  private RunResult train(Path variant, int split, int seed, long steps, List<Long> at)
      throws IOException {
    RunSpec base = RunSpecYaml.read(variant);
    RunSpec spec = base.toBuilder()
        .setName(variantName(variant) + "-split" + split + "-seed" + seed)
        .setTask(task(split))
        .setSeed(seed)
        // The benchmark tests the output prompts itself: the run's own test pass over its top
        // prompts would only add minutes of unused work after each run.
        .setEvaluation(base.getEvaluation().toBuilder().setTopPrompts(1))
        .setBudget(seconds > 0
            ? Budget.newBuilder().setMaxSteps(steps).setMaxDuration(
                com.google.protobuf.Duration.newBuilder().setSeconds(seconds)).build()
            : Budget.newBuilder().setMaxSteps(steps).build())
        .build();
    long t0 = System.nanoTime();
    Run run = stub.startRun(StartRunRequest.newBuilder().setSpec(spec).build());
    List<EvaluationResult> devEvaluations = new ArrayList<>();
    List<StepMetrics> stepMetrics = new ArrayList<>();
    Map<Long, Double> finishedAt = new LinkedHashMap<>(); // step → seconds since StartRun
    stub.watchRun(WatchRunRequest.newBuilder().setRunId(run.getId()).build())
        .forEachRemaining(e -> {
          collect(e, devEvaluations, stepMetrics);
          if (e.hasStep()) {
            finishedAt.put(e.getStep().getStep(), (System.nanoTime() - t0) / 1e9);
          }
        });
    Run done = stub.getRun(GetRunRequest.newBuilder().setRunId(run.getId()).build());
    if (done.getState() != RunState.RUN_STATE_COMPLETED) {
      throw new IllegalStateException("run " + run.getId() + " ended " + done.getState() + ": "
          + done.getError());
    }
    List<String> prompts = new ArrayList<>();
    List<String> diagnostics = new ArrayList<>();
    for (long point : at) {
      long s = seconds > 0 ? stepFinishedBy(finishedAt, point) : point;
      ScoredPrompt best = BestPrompts.bestUpTo(devEvaluations, s);
      prompts.add(best == null ? "" : best.getPrompt().getText());
      diagnostics.add(diagnosticsAt(stepMetrics, s));
    }
    double stepSeconds = stepMetrics.stream().mapToDouble(m -> m.getStepTime().getSeconds()
        + m.getStepTime().getNanos() / 1e9).average().orElse(Double.NaN);
    System.out.printf(Locale.ROOT, "%s split %d seed %d: %.0f s, %.2f s/step, output %s%n",
        variantName(variant), split, seed, (System.nanoTime() - t0) / 1e9, stepSeconds,
        prompts);
    return new RunResult(variantName(variant), split, seed, prompts, stepSeconds, diagnostics);
  }

  /** The last step a run had finished {@code t} seconds after StartRun (0 before its first). */
  static long stepFinishedBy(Map<Long, Double> finishedAt, double t) {
    return finishedAt.entrySet().stream().filter(e -> e.getValue() <= t)
        .mapToLong(Map.Entry::getKey).max().orElse(0);
  }

  private static void collect(RunEvent e, List<EvaluationResult> dev, List<StepMetrics> steps) {
    if (e.hasEvaluation() && e.getEvaluation().getSplit() == Split.SPLIT_DEV) {
      dev.add(e.getEvaluation());
      ScoredPrompt p = e.getEvaluation().getPrompt();
      System.out.printf(Locale.ROOT, "  step %d %s \"%s\" dev %.1f selection %.1f%n",
          e.getEvaluation().getStep(), e.getEvaluation().getBestSampled() ? "sampled" : "greedy",
          p.getPrompt().getText(), p.getDevScore(), BestPrompts.selectionScore(p));
    } else if (e.hasStep()) {
      StepMetrics m = e.getStep();
      System.out.printf(Locale.ROOT, "  step %d reward %.1f (max %.1f) train %.1f%% support %.1f "
          + "distinct %.2f resampled %.2f q-spread %.4f loss %.3g %.1f s%n", m.getStep(),
          m.getRewardMean(), m.getRewardMax(), m.getTrainAccuracy(), m.getSupportSize(),
          m.getDistinctPromptShare(), m.getResampledShare(), m.getQSpread(), m.getLoss(),
          m.getStepTime().getSeconds() + m.getStepTime().getNanos() / 1e9);
      // A rolled-back run records a step again; the later record replaces the earlier one.
      steps.removeIf(old -> old.getStep() == m.getStep());
      steps.add(e.getStep());
    }
  }

  /**
   * Means over the 10 steps up to {@code s}: train accuracy, support size, distinct and
   * resampled prompt shares, Q spread; then {@code s} itself (the steps finished by the point).
   */
  private static String diagnosticsAt(List<StepMetrics> steps, long s) {
    List<StepMetrics> window = steps.stream()
        .filter(m -> m.getStep() <= s && m.getStep() > s - 10).toList();
    return String.format(Locale.ROOT, "%.1f/%.1f/%.2f/%.2f/%.3f/%d",
        window.stream().mapToDouble(StepMetrics::getTrainAccuracy).average().orElse(0),
        window.stream().mapToDouble(StepMetrics::getSupportSize).average().orElse(0),
        window.stream().mapToDouble(StepMetrics::getDistinctPromptShare).average().orElse(0),
        window.stream().mapToDouble(StepMetrics::getResampledShare).average().orElse(0),
        window.stream().mapToDouble(StepMetrics::getQSpread).average().orElse(0), s);
  }

  /** Test accuracy (%) and pseudo-perplexity of a prompt on a split's task, cached. */
  private double[] test(int split, String prompt) throws IOException {
    String key = split + "\t" + prompt;
    double[] cached = testCache.get(key);
    if (cached != null) {
      return cached;
    }
    EvaluatePromptResponse r = stub.evaluatePrompt(EvaluatePromptRequest.newBuilder()
        .setTask(task(split)).setPromptText(prompt).setSplit(Split.SPLIT_TEST)
        .setWithNaturalness(!prompt.isBlank()).build());
    double ppl = r.getResult().hasNaturalness()
        ? r.getResult().getNaturalness().getPerplexity() : Double.NaN;
    double[] value = {r.getScore(), ppl};
    testCache.put(key, value);
    Files.writeString(out.resolve("test.tsv"), key + "\t" + value[0] + "\t" + value[1] + "\n",
        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return value;
  }

  private void loadTestCache() throws IOException {
    Path file = out.resolve("test.tsv");
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file)) {
        String[] f = line.split("\t", -1);
        testCache.put(f[0] + "\t" + f[1],
            new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])});
      }
    }
  }

  private void appendRun(RunResult r) throws IOException {
    String line = String.join("\t", r.variant(), Integer.toString(r.split()),
        Integer.toString(r.seed()), Double.toString(r.stepSeconds()), String.join("\u0001",
            r.prompts()), String.join("\u0001", r.diagnostics())) + "\n";
    Files.writeString(out.resolve("runs.tsv"), line, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private List<RunResult> loadRuns() throws IOException {
    List<RunResult> runs = new ArrayList<>();
    Path file = out.resolve("runs.tsv");
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file)) {
        String[] f = line.split("\t", -1);
        runs.add(new RunResult(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]),
            List.of(f[4].split("\u0001", -1)), Double.parseDouble(f[3]),
            List.of(f[5].split("\u0001", -1))));
      }
    }
    return runs;
  }

  /** The tables (Markdown) and the PNG. */
  private String report(List<String> variants, List<RunResult> all, List<Integer> splits,
      List<Integer> seeds, List<Long> at, long budget) throws IOException {
    String budgetText = seconds > 0 ? budget + " s of wall-clock per run" : budget + " steps";
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "%s, BERT-base task model and policy backbone, %s; "
        + "splits %s × seeds %s; test accuracy (%%) of the output prompt on the whole test "
        + "set, mean ± sd over runs (n); pseudo-PPL = median BERT-base pseudo-perplexity of the "
        + "last output prompts.%n%n", data, budgetText, splits, seeds));
    double[] manual = new double[splits.size()];
    double[] empty = new double[splits.size()];
    for (int i = 0; i < splits.size(); i++) {
      manual[i] = test(splits.get(i), MANUAL)[0];
      empty[i] = test(splits.get(i), "")[0];
    }
    double manualPpl = test(splits.get(0), MANUAL)[1];
    md.append("| prompt | ");
    for (long s : at) {
      md.append(pointLabel(s)).append(" | ");
    }
    md.append("pseudo-PPL | s/step |\n|---|");
    md.append("---:|".repeat(at.size())).append("---:|---:|\n");
    md.append(String.format(Locale.ROOT, "| empty \"\" |%s – | – |%n",
        (" " + Stats.of(empty).format() + " |").repeat(at.size())));
    md.append(String.format(Locale.ROOT, "| manual \"%s\" |%s %.1f | – |%n", MANUAL,
        (" " + Stats.of(manual).format() + " |").repeat(at.size()), manualPpl));
    XYChart chart = new XYChartBuilder().width(900).height(560)
        .title("Test accuracy of the output prompt (BERT-base), " + budgetText)
        .xAxisTitle(seconds > 0 ? "seconds since the run started" : "training step")
        .yAxisTitle("test accuracy (%)").build();
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
    chart.getStyler().setXAxisDecimalPattern("#");
    chart.getStyler().setYAxisDecimalPattern("#.#");
    Color[] palette = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b)};
    double[] xs = at.stream().mapToDouble(Long::doubleValue).toArray();
    StringBuilder diag = new StringBuilder("\nDiagnostics (means over the 10 steps before each "
        + "point and over runs): train accuracy % / sparsemax support or softmax candidates / "
        + "distinct prompts per step / share resampled from earlier steps / Q spread"
        + (seconds > 0 ? " / steps finished by the point" : "") + "\n\n"
        + "| variant | " + String.join(" | ", at.stream().map(this::pointLabel).toList())
        + " |\n|---|" + "---|".repeat(at.size()) + "\n");
    StringBuilder perRun = new StringBuilder("\nPer run (test accuracy % at the last point, "
        + "output prompt):\n\n| variant | split | seed | test % | prompt |\n|---|---:|---:|---:|---|\n");
    int colour = 0;
    for (String variant : variants) {
      List<RunResult> runs = all.stream().filter(r -> r.variant().equals(variant)
          && splits.contains(r.split()) && seeds.contains(r.seed())
          && r.prompts().size() >= at.size()).toList();
      if (runs.isEmpty()) {
        continue;
      }
      double[] mean = new double[at.size()];
      double[] sd = new double[at.size()];
      List<Double> ppls = new ArrayList<>();
      md.append("| ").append(variant).append(" |");
      for (int j = 0; j < at.size(); j++) {
        double[] acc = new double[runs.size()];
        for (int r = 0; r < runs.size(); r++) {
          double[] t = test(runs.get(r).split(), runs.get(r).prompts().get(j));
          acc[r] = t[0];
          if (j == at.size() - 1 && !Double.isNaN(t[1])) {
            ppls.add(t[1]);
          }
        }
        Stats st = Stats.of(acc);
        mean[j] = st.mean();
        sd[j] = st.sd();
        md.append(' ').append(st.format()).append(" |");
      }
      double stepSeconds = runs.stream().mapToDouble(RunResult::stepSeconds).average()
          .orElse(Double.NaN);
      md.append(String.format(Locale.ROOT, " %.1f | %.1f |%n", median(ppls), stepSeconds));
      diag.append("| ").append(variant).append(" |");
      for (int j = 0; j < at.size(); j++) {
        final int jj = j;
        double[][] cols = runs.stream().map(r -> Arrays.stream(r.diagnostics().get(jj)
            .split("/")).mapToDouble(Double::parseDouble).toArray()).toArray(double[][]::new);
        double[] avg = new double[Arrays.stream(cols).mapToInt(c -> c.length).min().orElse(0)];
        for (double[] c : cols) {
          for (int k = 0; k < avg.length; k++) {
            avg[k] += c[k] / cols.length;
          }
        }
        diag.append(String.format(Locale.ROOT, " %.1f / %.1f / %.2f / %.2f / %.3f", avg[0],
            avg[1], avg[2], avg[3], avg[4]));
        // Older runs.tsv rows have five diagnostics; the sixth is the step of the point.
        diag.append(seconds > 0 && avg.length > 5
            ? String.format(Locale.ROOT, " / %.1f |", avg[5]) : " |");
      }
      diag.append('\n');
      for (RunResult r : runs) {
        perRun.append(String.format(Locale.ROOT, "| %s | %d | %d | %.1f | \"%s\" |%n", variant,
            r.split(), r.seed(), test(r.split(), r.prompts().get(at.size() - 1))[0],
            r.prompts().get(at.size() - 1)));
      }
      Color c = palette[colour++ % palette.length];
      double[] band = new double[2 * xs.length];
      double[] bandX = new double[2 * xs.length];
      for (int j = 0; j < xs.length; j++) {
        bandX[j] = xs[j];
        band[j] = mean[j] + sd[j];
        bandX[2 * xs.length - 1 - j] = xs[j];
        band[2 * xs.length - 1 - j] = mean[j] - sd[j];
      }
      XYSeries area = chart.addSeries(variant + " ± sd", bandX, band);
      area.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
      area.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 50));
      area.setLineColor(new Color(0, 0, 0, 0));
      area.setMarker(SeriesMarkers.NONE);
      area.setShowInLegend(false);
      XYSeries line = chart.addSeries(variant + " (n=" + runs.size() + ")", xs, mean);
      line.setLineColor(c);
      line.setMarkerColor(c);
      line.setMarker(SeriesMarkers.CIRCLE);
    }
    double manualMean = Stats.of(manual).mean();
    XYSeries manualLine = chart.addSeries("manual \"" + MANUAL + "\"",
        new double[] {xs[0], xs[xs.length - 1]}, new double[] {manualMean, manualMean});
    manualLine.setLineColor(Color.DARK_GRAY);
    manualLine.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
        10f, new float[] {6f, 4f}, 0f));
    manualLine.setMarker(SeriesMarkers.NONE);
    double emptyMean = Stats.of(empty).mean();
    XYSeries emptyLine = chart.addSeries("empty prompt",
        new double[] {xs[0], xs[xs.length - 1]}, new double[] {emptyMean, emptyMean});
    emptyLine.setLineColor(Color.GRAY);
    emptyLine.setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
        10f, new float[] {2f, 3f}, 0f));
    emptyLine.setMarker(SeriesMarkers.NONE);
    BitmapEncoder.saveBitmap(chart, out.resolve("learning-curve.png").toString(),
        BitmapEncoder.BitmapFormat.PNG);
    md.append(diag).append(perRun);
    md.append("\nChart: ").append(out.resolve("learning-curve.png")).append('\n');
    return md.toString();
  }

  /**
   * How a run's output prompt is chosen among the prompts it evaluated on dev. The rule changes
   * nothing during training (an evaluation counts once for early stopping whatever it scored), so
   * every rule can be applied to the same runs afterwards.
   */
  enum OutputRule {
    /** As the run ranks them ({@link BestPrompts}): its spec's selection score. */
    RUN("as the run ranks them"),
    /** The best dev score over every evaluated prompt, greedy and best-sampled (§6.1's score). */
    DEV("dev score, greedy and best-sampled prompts"),
    /** The best dev score over the greedy prompts only: the papers' output rule. */
    GREEDY_DEV("dev score, greedy prompts only (the papers')");

    final String description;

    OutputRule(String description) {
      this.description = description;
    }

    static OutputRule parse(String name) {
      return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    /** The prompt the rule outputs after {@code step}, or null before the first evaluation. */
    ScoredPrompt pick(List<EvaluationResult> devEvaluations, long step) {
      if (this == RUN) {
        return BestPrompts.bestUpTo(devEvaluations, step);
      }
      ScoredPrompt best = null;
      for (EvaluationResult e : devEvaluations) { // in step order: ties go to the earlier prompt
        if (e.getStep() <= step && (this == DEV || !e.getBestSampled())
            && (best == null || e.getPrompt().getDevScore() > best.getDevScore())) {
          best = e.getPrompt();
        }
      }
      return best;
    }

    /** The picked prompt's text; the empty prompt before the first evaluation. */
    String pickText(List<EvaluationResult> devEvaluations, long step) {
      ScoredPrompt p = pick(devEvaluations, step);
      return p == null ? "" : p.getPrompt().getText();
    }
  }

  /**
   * The output-rule ablation: each run's dev evaluations, read back from the run store, give the
   * output prompt under each rule; mean ± sd of their test accuracy per variant and rule.
   */
  private String outputRuleReport(List<String> variants, List<RunResult> all, List<Integer> splits,
      List<Integer> seeds, List<Long> at, List<OutputRule> rules) throws IOException {
    Map<String, String> runIds = new LinkedHashMap<>();
    String page = "";
    do {
      ListRunsResponse r = stub.listRuns(ListRunsRequest.newBuilder().setPageSize(1000)
          .setPageToken(page).addStates(RunState.RUN_STATE_COMPLETED).build());
      r.getRunsList().forEach(run -> runIds.putIfAbsent(run.getSpec().getName(), run.getId()));
      page = r.getNextPageToken();
    } while (!page.isEmpty());
    StringBuilder md = new StringBuilder("\nOutput rule (the same runs, their output prompt "
        + "chosen by each rule from their dev evaluations; test accuracy %, mean ± sd (n); "
        + "\"changed\" = runs whose prompt at the last step differs from the run's own "
        + "choice):\n\n| variant | output rule | "
        + String.join(" | ", at.stream().map(s -> "step " + s).toList())
        + " | changed |\n|---|---|" + "---:|".repeat(at.size() + 1) + "\n");
    for (String variant : variants) {
      List<RunResult> runs = all.stream().filter(r -> r.variant().equals(variant)
          && splits.contains(r.split()) && seeds.contains(r.seed())
          && runIds.containsKey(variant + "-split" + r.split() + "-seed" + r.seed())).toList();
      if (runs.isEmpty()) {
        continue;
      }
      List<List<EvaluationResult>> evaluations = new ArrayList<>();
      for (RunResult r : runs) {
        List<EvaluationResult> dev = new ArrayList<>();
        stub.watchRun(WatchRunRequest.newBuilder()
            .setRunId(runIds.get(variant + "-split" + r.split() + "-seed" + r.seed())).build())
            .forEachRemaining(e -> {
              if (e.hasEvaluation() && e.getEvaluation().getSplit() == Split.SPLIT_DEV) {
                dev.add(e.getEvaluation());
              }
            });
        dev.sort(Comparator.comparingLong(EvaluationResult::getStep));
        evaluations.add(dev);
      }
      for (OutputRule rule : rules) {
        md.append("| ").append(variant).append(" | ").append(rule.description).append(" |");
        int changed = 0;
        for (int j = 0; j < at.size(); j++) {
          double[] acc = new double[runs.size()];
          for (int r = 0; r < runs.size(); r++) {
            String text = rule.pickText(evaluations.get(r), at.get(j));
            acc[r] = test(runs.get(r).split(), text)[0];
            if (j == at.size() - 1
                && !text.equals(OutputRule.RUN.pickText(evaluations.get(r), at.get(j)))) {
              changed++;
            }
          }
          md.append(' ').append(Stats.of(acc).format()).append(" |");
        }
        md.append(' ').append(changed).append(" of ").append(runs.size()).append(" |\n");
      }
    }
    return md.toString();
  }

  private static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** Mean and sample standard deviation. */
  record Stats(double mean, double sd, int n) {
    static Stats of(double[] v) {
      double mean = Arrays.stream(v).average().orElse(Double.NaN);
      double ss = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum();
      return new Stats(mean, v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0, v.length);
    }

    String format() {
      return String.format(Locale.ROOT, "%.1f ± %.1f (%d)", mean, sd, n);
    }
  }
}
