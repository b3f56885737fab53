package dev.pin.cli;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.pin.orchestrator.spec.FewShotDataset;
import dev.pin.orchestrator.spec.RunDefaults;
import dev.pin.scorer.report.TradeOffChart;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.ListRunsResponse;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.NaturalnessConvention;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.NaturalnessResponse;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PenaltyFunction;
import dev.pin.v1.PerplexityPenalty;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptNaturalness;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.RunView;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.ScorerGrpc;
import dev.pin.v1.Split;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pin sweep-readability PIN.yaml PEZ.yaml --lambdas 0,1,5 --w 0,0.5,0.9}: the readability
 * study of ALGORITHMS.md §7.2 on one task. Every RLPrompt or PIN spec runs once per λ of the
 * perplexity-regularised reward {@code R′ = R − λ·g(PPL(z))} (the spec's {@code
 * shaping.perplexity_penalty}, computed by the scorer inside the training loop), every PEZ spec
 * once per w of its fluency mix {@code w·NLL(prompt) + (1−w)·L_task} ({@code pez.fluency_weight}),
 * one run after another through the orchestrator like any other run. Then each run's output prompt
 * (its best prompt, re-evaluated on the test split by the run's final evaluation) is scored for
 * pseudo-perplexity under one LM in one Naturalness call, and the trade-off is written as one chart
 * (one series per method, points labelled by λ or w) and a Markdown table. With {@code --seeds}
 * every point runs once per seed, and the chart draws it at its mean over them.
 *
 * <p>A run's name carries its swept value and a fingerprint of the exact spec it trains, so a
 * sweep started again (after an interruption, or with more values) finds the runs it already has
 * in the run store and reuses the completed ones, follows the ones still training and resumes the
 * interrupted, failed or cancelled ones from their checkpoints, instead of training them again.
 * {@code pin sweep-lambda} is the same command under its earlier name.
 */
@Command(name = "sweep-readability", aliases = "sweep-lambda", mixinStandardHelpOptions = true,
    description = {
        "Sweep the readability trade-off on one task: RLPrompt/PIN specs once per λ of the "
            + "perplexity penalty R' = R - λ·g(PPL), PEZ specs once per w of the fluency mix "
            + "w·NLL(prompt) + (1-w)·L_task; then the test score and pseudo-perplexity of every "
            + "run's output prompt as one chart (tradeoff.png) and a table (sweep.md).",
        "Runs already in the run store for the same spec and value are reused (completed), "
            + "followed (training) or resumed (interrupted, failed, cancelled): a sweep started "
            + "again trains only what is missing. 'sweep-lambda' is the same command."})
final class SweepReadabilityCommand implements Callable<Integer> {
  static final String NAME = "sweep-readability";

  /** g of the penalty. */
  enum G { log, identity }

  /** The parameter a method's sweep varies. */
  enum Knob {
    /** λ of R − λ·g(PPL) (RLPrompt, PIN). */
    LAMBDA("λ", "lambda", "--lambdas"),
    /** w of w·NLL(prompt) + (1−w)·L_task (PEZ). */
    W("w", "w", "--w");

    final String symbol;
    final String nameKey;
    final String option;

    Knob(String symbol, String nameKey, String option) {
      this.symbol = symbol;
      this.nameKey = nameKey;
      this.option = option;
    }

    static Optional<Knob> of(Method method) {
      return switch (method) {
        case METHOD_RLPROMPT, METHOD_PIN -> Optional.of(LAMBDA);
        case METHOD_PEZ -> Optional.of(W);
        default -> Optional.empty();
      };
    }
  }

  @Parameters(arity = "1..*", paramLabel = "SPEC",
      description = "One run spec (YAML) per method, all on the same task: RLPrompt and PIN "
          + "specs are swept over --lambdas, a PEZ spec over --w.")
  List<Path> specs;

  @Option(names = {"--lambdas", "--lambda"}, split = ",", paramLabel = "λ,λ,…",
      description = "Penalty weights λ ≥ 0 for the RLPrompt/PIN specs (0 = the unregularised "
          + "run).")
  List<String> lambdas;

  @Option(names = "--w", split = ",", paramLabel = "w,w,…",
      description = "Fluency weights w in [0, 1] for the PEZ spec (0 = the task loss alone).")
  List<String> weights;

  @Option(names = "--seeds", split = ",", paramLabel = "N,N,…",
      description = "Train every point once per seed (the spec's seed replaced); the chart then "
          + "plots each point's mean test score at the geometric mean of its perplexities and "
          + "the table adds mean ± sd per point. Default: each spec's own seed, one run a point.")
  List<String> seedArgs;

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

  /**
   * One spec of the sweep and the values it runs with, each once per seed of {@code seeds}
   * (empty: once, with the spec's own seed).
   */
  record MethodSweep(Path file, RunSpec spec, Knob knob, List<Double> values, List<Long> seeds) {
    Method method() {
      return spec.getMethod();
    }

    /** The spec once per seed; the spec itself when no seeds were given. */
    List<RunSpec> seededSpecs() {
      return seeds.isEmpty() ? List.of(spec)
          : seeds.stream().map(seed -> spec.toBuilder().setSeed(seed).build()).toList();
    }
  }

  /** One run of the sweep, with what the sweep measured of its output prompt. */
  record Row(MethodSweep sweep, double value, Run run, ScoredPrompt best, double testScore,
      PromptNaturalness naturalness) {
    long seed() {
      return run.getSpec().getSeed();
    }

    double perplexity() {
      return naturalness == null ? Double.NaN : naturalness.getPerplexity();
    }

    String prompt() {
      return best == null ? "" : best.getPrompt().getText();
    }

    Row withNaturalness(PromptNaturalness n) {
      return new Row(sweep, value, run, best, testScore, n);
    }
  }

  @Override
  public Integer call() {
    List<MethodSweep> sweeps = plan(System.err);
    if (sweeps == null) {
      return Pin.ExitCodes.USAGE;
    }
    return connection.run(NAME, out, (orchestrator, scorer) -> {
      List<Run> stored = storedRuns(orchestrator);
      List<Row> rows = new ArrayList<>();
      for (MethodSweep sweep : sweeps) {
        for (double value : sweep.values()) {
          for (RunSpec seeded : sweep.seededSpecs()) {
            rows.add(runOne(orchestrator, stored, sweep, seeded, value));
          }
        }
      }
      rows = withNaturalness(rows, scorer.withDeadlineAfter(300, TimeUnit.SECONDS),
          perplexityModel(sweeps));
      write(sweeps, rows);
      return rows.stream().allMatch(r -> r.run().getState() == RunState.RUN_STATE_COMPLETED)
          ? Pin.ExitCodes.OK : Pin.ExitCodes.FAILED;
    });
  }

  /**
   * The specs, methods and values checked against each other; null after printing every
   * problem (the command exits USAGE).
   */
  List<MethodSweep> plan(PrintStream err) {
    List<RunSpec> read = new ArrayList<>();
    for (Path file : specs) {
      Optional<RunSpec> spec = SpecFile.read(err, NAME, file);
      if (spec.isEmpty()) {
        return null;
      }
      read.add(spec.get());
    }
    List<String> problems = new ArrayList<>();
    List<Double> lambdaValues = values(Knob.LAMBDA, lambdas, problems);
    List<Double> wValues = values(Knob.W, weights, problems);
    List<Long> seedValues = seeds(seedArgs, problems);
    List<MethodSweep> sweeps = new ArrayList<>();
    Set<Method> methods = EnumSet.noneOf(Method.class);
    for (int i = 0; i < read.size(); i++) {
      RunSpec spec = read.get(i);
      Path file = specs.get(i);
      Optional<Knob> knob = Knob.of(spec.getMethod());
      if (knob.isEmpty()) {
        problems.add(file + ": method must be rlprompt, pin or pez to be swept, got "
            + spec.getMethod());
        continue;
      }
      if (!methods.add(spec.getMethod())) {
        problems.add(file + ": a second " + methodName(spec.getMethod()) + " spec; give one "
            + "spec per method (a series of the chart is a method)");
        continue;
      }
      List<Double> values = knob.get() == Knob.LAMBDA ? lambdaValues : wValues;
      boolean given = (knob.get() == Knob.LAMBDA ? lambdas : weights) != null;
      if (!given) {
        problems.add(file + " has method " + methodName(spec.getMethod()) + ", which is swept "
            + "over " + knob.get().symbol + ": give " + knob.get().option + " ("
            + (knob.get() == Knob.LAMBDA ? "λ of R − λ·g(PPL), e.g. --lambdas 0,1,5"
                : "PEZ's fluency weight, e.g. --w 0,0.5,0.9") + ")");
      } else if (values != null) {
        sweeps.add(new MethodSweep(file, spec, knob.get(), values,
            seedValues == null ? List.of() : seedValues));
      }
    }
    if (lambdas != null && read.stream().noneMatch(s -> Knob.of(s.getMethod())
        .equals(Optional.of(Knob.LAMBDA)))) {
      problems.add("--lambdas sweeps λ of RLPrompt's and PIN's reward R − λ·g(PPL), but no spec "
          + "has method rlprompt or pin (" + methodsOf(read) + "); PEZ is swept over --w");
    }
    if (weights != null && read.stream().noneMatch(s -> s.getMethod() == Method.METHOD_PEZ)) {
      problems.add("--w sweeps PEZ's fluency weight w, but no spec has method pez ("
          + methodsOf(read) + "); RLPrompt and PIN are swept over --lambdas");
    }
    for (int i = 1; i < read.size(); i++) {
      List<String> differences = taskDifferences(read.get(0).getTask(), read.get(i).getTask());
      if (!differences.isEmpty()) {
        problems.add(specs.get(i) + " trains another task than " + specs.get(0) + " ("
            + String.join(", ", differences) + " differ): the trade-off compares methods on "
            + "one task");
      }
    }
    Set<ModelRef> lms = new LinkedHashSet<>();
    for (RunSpec s : read) {
      if (Knob.of(s.getMethod()).equals(Optional.of(Knob.LAMBDA))
          && !s.getShaping().getPerplexityPenalty().getModel().getName().isEmpty()) {
        lms.add(s.getShaping().getPerplexityPenalty().getModel());
      }
    }
    if (lms.size() > 1) {
      problems.add("the specs' shaping.perplexity_penalty.model differ (" + lms.stream()
          .map(ModelRef::getName).toList() + "): the chart measures every prompt under one LM");
    }
    if (!problems.isEmpty()) {
      problems.forEach(p -> err.println("pin " + NAME + ": " + p));
      return null;
    }
    return sweeps;
  }

  /** The parsed values of an option, or null (with a problem) when they are not usable. */
  static List<Double> values(Knob knob, List<String> given, List<String> problems) {
    if (given == null) {
      return null;
    }
    List<Double> values = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    for (String s : given) {
      if (s.isBlank()) {
        continue;
      }
      double v;
      try {
        // + 0.0 turns -0 into 0, one value with one run name.
        v = Double.parseDouble(s.trim()) + 0.0;
      } catch (NumberFormatException e) {
        bad.add("'" + s.trim() + "' is not a number");
        continue;
      }
      if (knob == Knob.LAMBDA && !(Double.isFinite(v) && v >= 0)) {
        bad.add("each λ must be ≥ 0, got " + format(v));
      } else if (knob == Knob.W && !(v >= 0 && v <= 1)) {
        bad.add("each w must be in [0, 1] (PEZ's w·NLL(prompt) + (1−w)·L_task), got "
            + format(v));
      } else if (values.contains(v)) {
        bad.add(format(v) + " is given twice");
      } else {
        values.add(v);
      }
    }
    if (bad.isEmpty() && values.isEmpty()) {
      bad.add("no values; give one or more, e.g. " + knob.option
          + (knob == Knob.LAMBDA ? " 0,1,5" : " 0,0.5,0.9"));
    }
    bad.forEach(b -> problems.add(knob.option + ": " + b));
    return bad.isEmpty() ? values : null;
  }

  /** The parsed seeds, an empty list when none were given, or null (with a problem). */
  static List<Long> seeds(List<String> given, List<String> problems) {
    if (given == null) {
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    for (String s : given) {
      if (s.isBlank()) {
        continue;
      }
      try {
        long seed = Long.parseLong(s.trim());
        if (seed < 1) {
          bad.add("each seed must be 1 or more, got " + seed);
        } else if (out.contains(seed)) {
          bad.add(seed + " is given twice");
        } else {
          out.add(seed);
        }
      } catch (NumberFormatException e) {
        bad.add("'" + s.trim() + "' is not a whole number");
      }
    }
    if (bad.isEmpty() && out.isEmpty()) {
      bad.add("no seeds; give one or more, e.g. --seeds 1,2,3");
    }
    bad.forEach(b -> problems.add("--seeds: " + b));
    return bad.isEmpty() ? out : null;
  }

  private static String methodsOf(List<RunSpec> specs) {
    return "given: " + String.join(", ", specs.stream().map(s -> methodName(s.getMethod()))
        .toList());
  }

  static String methodName(Method m) {
    return switch (m) {
      case METHOD_RLPROMPT -> "RLPrompt";
      case METHOD_PIN -> "PIN";
      case METHOD_PEZ -> "PEZ";
      default -> m.name();
    };
  }

  /**
   * The fields in which two specs' tasks differ once the orchestrator's defaults are filled in,
   * as spec paths (e.g. {@code task.classification.data}); empty when they are the same task. A
   * template written out as the masked default counts as the default.
   */
  static List<String> taskDifferences(TaskSpec a, TaskSpec b) {
    TaskSpec x = normalised(a);
    TaskSpec y = normalised(b);
    if (x.equals(y)) {
      return List.of();
    }
    if (x.getTaskCase() != y.getTaskCase()) {
      return List.of("the task type");
    }
    List<String> out = new ArrayList<>();
    for (FieldDescriptor f : TaskSpec.getDescriptor().getFields()) {
      if (Objects.equals(x.getField(f), y.getField(f))) {
        continue;
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated()
          && x.hasField(f) && y.hasField(f)) {
        Message mx = (Message) x.getField(f);
        Message my = (Message) y.getField(f);
        for (FieldDescriptor inner : mx.getDescriptorForType().getFields()) {
          if (!Objects.equals(mx.getField(inner), my.getField(inner))) {
            out.add("task." + f.getName() + "." + inner.getName());
          }
        }
      } else {
        out.add("task." + f.getName());
      }
    }
    return out;
  }

  private static TaskSpec normalised(TaskSpec task) {
    TaskSpec t = RunDefaults.apply(RunSpec.newBuilder().setTask(task)
        .setMethod(Method.METHOD_PIN).build()).getTask();
    if (t.hasClassification()
        && t.getClassification().getTemplate().equals(FewShotDataset.MASKED_TEMPLATE)) {
      t = t.toBuilder().setClassification(t.getClassification().toBuilder().clearTemplate())
          .build();
    }
    return t;
  }

  /** The LM every prompt's perplexity is measured under: the RL specs' penalty LM, if named. */
  static ModelRef perplexityModel(List<MethodSweep> sweeps) {
    return sweeps.stream().filter(s -> s.knob() == Knob.LAMBDA)
        .map(s -> s.spec().getShaping().getPerplexityPenalty().getModel())
        .filter(m -> !m.getName().isEmpty()).findFirst().orElse(ModelRef.getDefaultInstance());
  }

  /**
   * The spec of one point of the sweep: λ (with g) or w set, and a name that says which method,
   * parameter and value it is and ends with the fingerprint of everything else in the spec.
   */
  static RunSpec runSpec(RunSpec base, Knob knob, double value, G g) {
    RunSpec.Builder s = base.toBuilder();
    if (knob == Knob.LAMBDA) {
      PerplexityPenalty.Builder penalty = s.getShaping().getPerplexityPenalty().toBuilder()
          .setLambda((float) value)
          .setFunction(g == G.log ? PenaltyFunction.PENALTY_FUNCTION_LOG
              : PenaltyFunction.PENALTY_FUNCTION_IDENTITY);
      s.setShaping(s.getShaping().toBuilder().setPerplexityPenalty(penalty));
    } else {
      s.setPez(s.getPez().toBuilder().setFluencyWeight((float) value));
    }
    String name = base.getName().isBlank()
        ? "sweep-" + methodName(base.getMethod()).toLowerCase(Locale.ROOT) : base.getName();
    String suffix = "-" + knob.nameKey + "-" + format(value) + "-" + fingerprint(s.clearName()
        .build());
    // RunSpec.name holds at most 200 characters.
    name = name.substring(0, Math.min(name.length(), 200 - suffix.length()));
    return s.setName(name + suffix).build();
  }

  /** The first 8 hex digits of the SHA-256 of the spec's deterministic serialisation. */
  static String fingerprint(RunSpec spec) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      spec.writeTo(out);
      out.flush();
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(bytes.toByteArray()), 0, 4);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JRE has SHA-256", e);
    }
  }

  /** Every run in the store (summaries: name, state, step). */
  private static List<Run> storedRuns(OrchestratorGrpc.OrchestratorBlockingStub orchestrator) {
    List<Run> runs = new ArrayList<>();
    String token = "";
    do {
      ListRunsResponse page = orchestrator.withDeadlineAfter(60, TimeUnit.SECONDS).listRuns(
          ListRunsRequest.newBuilder().setPageSize(1000).setPageToken(token)
              .setView(RunView.RUN_VIEW_SUMMARY).build());
      runs.addAll(page.getRunsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return runs;
  }

  private static final Set<RunState> TRAINING = EnumSet.of(RunState.RUN_STATE_PENDING,
      RunState.RUN_STATE_RUNNING, RunState.RUN_STATE_EVALUATING);

  /**
   * The run of one point: the completed one in the store, else the one still training (followed),
   * else the latest stopped one resumed, else a new one; followed to its end, then its output
   * prompt's test score.
   */
  private Row runOne(OrchestratorGrpc.OrchestratorBlockingStub orchestrator, List<Run> stored,
      MethodSweep sweep, RunSpec seeded, double value) {
    RunSpec spec = runSpec(seeded, sweep.knob(), value, g);
    String point = methodName(sweep.method()) + " " + sweep.knob().symbol + "=" + format(value)
        + (sweep.seeds().isEmpty() ? "" : " seed " + seeded.getSeed());
    Comparator<Run> latest = Comparator.comparing(Run::getCreated, Timestamps::compare);
    List<Run> same = stored.stream().filter(r -> r.getSpec().getName().equals(spec.getName()))
        .toList();
    Optional<Run> completed = same.stream()
        .filter(r -> r.getState() == RunState.RUN_STATE_COMPLETED).max(latest);
    String id;
    if (completed.isPresent()) {
      id = completed.get().getId();
      System.out.printf(Locale.ROOT, "%s: run %s completed earlier (%d steps): reused%n", point,
          id, completed.get().getStep());
    } else {
      Optional<Run> earlier = same.stream().max(latest);
      // The run's own end from here on: a stopped run's history already holds an earlier end.
      long after = 0;
      if (earlier.isPresent()) {
        List<RunEvent> history = EnsembleClients.history(orchestrator, earlier.get().getId(),
            300);
        after = history.isEmpty() ? 0 : history.get(history.size() - 1).getSequence();
      }
      if (earlier.isPresent() && TRAINING.contains(earlier.get().getState())
          && earlier.get().getState() != RunState.RUN_STATE_PENDING) {
        id = earlier.get().getId();
        System.out.printf(Locale.ROOT, "%s: run %s is still %s: following it%n", point, id,
            RunProgress.shortState(earlier.get().getState()));
      } else if (earlier.isPresent()) {
        id = earlier.get().getId();
        resume(orchestrator, point, earlier.get());
      } else {
        id = orchestrator.withDeadlineAfter(300, TimeUnit.SECONDS).startRun(
            StartRunRequest.newBuilder().setSpec(spec).build()).getId();
        System.out.printf(Locale.ROOT, "%s: run %s (%s) started%n", point, id, spec.getName());
      }
      followToItsEnd(orchestrator, id, after);
    }
    Run done = EnsembleClients.get(orchestrator.withDeadlineAfter(60, TimeUnit.SECONDS), id);
    ScoredPrompt best = done.getBestPromptsCount() > 0 ? done.getBestPrompts(0) : null;
    double test = Double.NaN;
    if (best != null && best.getTested()) {
      test = best.getTestScore();
    } else if (best != null && !best.getPrompt().getText().isBlank()) {
      // No final evaluation (the run did not complete): the output prompt scored on test here.
      test = orchestrator.withDeadlineAfter(600, TimeUnit.SECONDS).evaluatePrompt(
          EvaluatePromptRequest.newBuilder().setTask(sweep.spec().getTask())
              .setPromptText(best.getPrompt().getText()).setSplit(Split.SPLIT_TEST).build())
          .getScore();
    }
    if (completed.isEmpty()) {
      System.out.printf(Locale.ROOT, "%s: %s after %d steps, output prompt \"%s\"%n", point,
          RunProgress.shortState(done.getState()), done.getStep(),
          best == null ? "" : best.getPrompt().getText());
    }
    return new Row(sweep, value, done, best, test, null);
  }

  /** How long a stopped run's thread may take to let go before ResumeRun accepts it. */
  private static final long RESUME_WAIT_MS = 30_000;

  /**
   * Resumes a stopped run. A run stopped a moment ago (cancelled, failed) is still held by its
   * thread until it frees its policy, and ResumeRun answers FAILED_PRECONDITION until then: asked
   * again for a while. A PENDING run that is driven here already is followed as it is.
   */
  private static void resume(OrchestratorGrpc.OrchestratorBlockingStub orchestrator, String point,
      Run run) {
    long giveUp = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RESUME_WAIT_MS);
    while (true) {
      try {
        orchestrator.withDeadlineAfter(300, TimeUnit.SECONDS).resumeRun(
            ResumeRunRequest.newBuilder().setRunId(run.getId()).build());
        System.out.printf(Locale.ROOT, "%s: run %s was %s at step %d: resumed%n", point,
            run.getId(), RunProgress.shortState(run.getState()), run.getStep());
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
          throw e;
        }
        if (run.getState() == RunState.RUN_STATE_PENDING) {
          System.out.printf(Locale.ROOT, "%s: run %s is training: following it%n", point,
              run.getId());
          return;
        }
        if (System.nanoTime() > giveUp) {
          throw e;
        }
      }
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }

  private static final Set<RunState> ENDED = EnumSet.of(RunState.RUN_STATE_COMPLETED,
      RunState.RUN_STATE_CANCELLED, RunState.RUN_STATE_FAILED);

  /**
   * Follows a run until it ends after event {@code after}. WatchRun completes at once while the
   * stored state is still the end a resumed run is leaving (ResumeRun returns before its loop
   * has moved it on), so the stream is opened again from the next event until a new end is seen.
   */
  private void followToItsEnd(OrchestratorGrpc.OrchestratorBlockingStub orchestrator, String id,
      long after) {
    long next = after + 1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(runTimeout);
    while (true) {
      long left = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
      Iterator<RunEvent> events = orchestrator.withDeadlineAfter(left, TimeUnit.SECONDS)
          .watchRun(WatchRunRequest.newBuilder().setRunId(id).setFromSequence(next).build());
      while (events.hasNext()) {
        RunEvent e = events.next();
        next = Math.max(next, e.getSequence() + 1);
        if (e.hasState() && ENDED.contains(e.getState().getTo())) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw Status.DEADLINE_EXCEEDED.withDescription("run " + id + " did not end within "
            + runTimeout + " s (--run-timeout)").asRuntimeException();
      }
      pause();
    }
  }

  /** Every output prompt scored under one LM in one call, so the column compares like with like. */
  private static List<Row> withNaturalness(List<Row> rows, ScorerGrpc.ScorerBlockingStub scorer,
      ModelRef model) {
    NaturalnessRequest.Builder request = NaturalnessRequest.newBuilder().setModel(model);
    List<Integer> scored = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      if (!rows.get(i).prompt().isBlank()) {
        request.addPrompts(Prompt.newBuilder().setText(rows.get(i).prompt()));
        scored.add(i);
      }
    }
    List<Row> out = new ArrayList<>(rows);
    if (scored.isEmpty()) {
      return out;
    }
    NaturalnessResponse response = scorer.naturalness(request.build());
    for (int j = 0; j < scored.size(); j++) {
      out.set(scored.get(j), rows.get(scored.get(j)).withNaturalness(response.getResults(j)));
    }
    return out;
  }

  private void write(List<MethodSweep> sweeps, List<Row> rows) throws IOException {
    Files.createDirectories(out);
    String title = title(sweeps);
    Path table = out.resolve("sweep.md");
    Files.writeString(table, markdown(title, sweeps, rows, g), StandardCharsets.UTF_8);
    Path png = out.resolve("tradeoff.png");
    TaskSpec.TaskCase task = sweeps.get(0).spec().getTask().getTaskCase();
    Files.write(png, TradeOffChart.png(title, perplexityAxis(rows), scoreAxis(task),
        chartSeries(sweeps, rows, g)));
    System.out.println("table: " + table.toAbsolutePath());
    System.out.println("trade-off chart: " + png.toAbsolutePath());
  }

  /** One series per method, in the order of the specs, each point labelled with its value. */
  static List<TradeOffChart.Series> chartSeries(List<MethodSweep> sweeps, List<Row> rows, G g) {
    List<TradeOffChart.Series> series = new ArrayList<>();
    for (MethodSweep s : sweeps) {
      List<TradeOffChart.Point> points = s.values().stream().map(v -> {
        PointSummary p = PointSummary.of(rows, s, v);
        return new TradeOffChart.Point(s.knob().symbol + "=" + format(v), p.perplexity(),
            p.meanScore());
      }).toList();
      series.add(new TradeOffChart.Series(methodName(s.method()), legend(s, g), points));
    }
    return series;
  }

  /**
   * The runs of one point (method {@code sweep} at {@code value}, one run per seed): the mean
   * and sample sd of their test scores and the geometric mean of their perplexities (a log-scale
   * quantity); runs without a finite figure are left out of it.
   */
  record PointSummary(int runs, double meanScore, double sdScore, double perplexity) {
    static PointSummary of(List<Row> all, MethodSweep sweep, double value) {
      List<Row> rows = all.stream().filter(r -> r.sweep() == sweep && r.value() == value)
          .toList();
      double[] scores = rows.stream().mapToDouble(Row::testScore).filter(Double::isFinite)
          .toArray();
      double[] logs = rows.stream().mapToDouble(Row::perplexity)
          .filter(p -> Double.isFinite(p) && p > 0).map(Math::log).toArray();
      double mean = java.util.Arrays.stream(scores).average().orElse(Double.NaN);
      double sd = scores.length < 2 ? Double.NaN : Math.sqrt(java.util.Arrays.stream(scores)
          .map(x -> (x - mean) * (x - mean)).sum() / (scores.length - 1));
      return new PointSummary(rows.size(), mean, sd,
          Math.exp(java.util.Arrays.stream(logs).average().orElse(Double.NaN)));
    }
  }

  static String legend(MethodSweep s, G g) {
    return methodName(s.method()) + (s.knob() == Knob.LAMBDA
        ? ": reward R − λ·" + (g == G.log ? "log PPL" : "PPL")
        : ": loss w·NLL(prompt) + (1−w)·L_task");
  }

  /** The task and what was swept, or over several seeds which (the legend names the rest). */
  static String title(List<MethodSweep> sweeps) {
    String task = "Readability trade-off on " + taskName(sweeps.get(0).spec().getTask());
    List<Long> seeds = sweeps.get(0).seeds();
    if (seeds.size() > 1) {
      return task + ", mean over seeds " + String.join(", ",
          seeds.stream().map(String::valueOf).toList());
    }
    return task + ": " + String.join(", ", sweeps.stream().map(s -> methodName(s.method())
        + " over " + s.knob().symbol).toList());
  }

  /** The task in a few words: the data folder's name and split, else the task type. */
  static String taskName(TaskSpec task) {
    if (task.hasClassification() && task.getClassification().getData().hasFewShot()) {
      var few = task.getClassification().getData().getFewShot();
      Path dir = Path.of(few.getDir()).getFileName();
      return (dir == null ? few.getDir() : dir.toString()) + " (16-shot split "
          + few.getSplitSeed() + ")";
    }
    return task.getTaskCase().name().toLowerCase(Locale.ROOT).replace('_', ' ');
  }

  /** The unit of the test score ({@code ScoredPrompt.test_score}) of the task. */
  static String scoreAxis(TaskSpec.TaskCase task) {
    return switch (task) {
      case CLASSIFICATION -> "test accuracy of the output prompt (%)";
      case STYLE_TRANSFER -> "test J of the output prompt (0–100)";
      case IMAGE_INVERSION -> "test CLIP score of the output prompt (cosine)";
      default -> "test score of the output prompt";
    };
  }

  private static String perplexityAxis(List<Row> rows) {
    return rows.stream().filter(r -> r.naturalness() != null).findFirst()
        .map(r -> perplexityName(r.naturalness()) + " of the output prompt under "
            + r.naturalness().getModel().getName())
        .orElse("perplexity of the output prompt");
  }

  private static String perplexityName(PromptNaturalness n) {
    return n.getConvention() == NaturalnessConvention.NATURALNESS_CONVENTION_MASKED_PSEUDO_PPL
        ? "pseudo-perplexity" : "perplexity";
  }

  static String markdown(String title, List<MethodSweep> sweeps, List<Row> rows, G g) {
    StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
    Optional<PromptNaturalness> any = rows.stream().map(Row::naturalness)
        .filter(Objects::nonNull).findFirst();
    md.append("Test score: the run's output prompt (its best prompt) on the task's test split, "
        + "from the run's final evaluation. ");
    md.append(any.map(n -> (perplexityName(n).equals("perplexity") ? "Perplexity" :
            "Pseudo-perplexity") + " of the same prompt under " + n.getModel().getName() + " ("
            + n.getConvention().name() + "), one LM for every row.")
        .orElse("No prompt to score for perplexity."));
    md.append("\n\nWhat was swept, and each method's budget (the figure's budget):\n\n");
    for (MethodSweep s : sweeps) {
      RunSpec effective = RunDefaults.apply(s.spec());
      md.append("- ").append(methodName(s.method())).append(" (`").append(s.file().toString()
              .replace("`", "'")).append("`): ")
          .append(s.knob() == Knob.LAMBDA
              ? "λ of R′ = R − λ·" + (g == G.log ? "log PPL" : "PPL")
                  + " (`shaping.perplexity_penalty`)"
              : "w of L = w·NLL(prompt) + (1−w)·L_task (`pez.fluency_weight`)")
          .append(" ∈ {").append(String.join(", ", s.values().stream()
              .map(SweepReadabilityCommand::format).toList())).append("}; ")
          .append(budget(effective)).append('\n');
    }
    String ppl = any.map(n -> perplexityName(n).equals("perplexity") ? "PPL" : "pseudo-PPL")
        .orElse("pseudo-PPL");
    if (sweeps.stream().anyMatch(s -> s.seeds().size() > 1)) {
      md.append("\nPer point, over its seeds: the mean ± sd of the test score, the geometric "
          + "mean of the ").append(ppl).append(" (the chart's point).\n\n");
      md.append("| method | λ / w | runs | test score | ").append(ppl).append(" |\n");
      md.append("|---|---|---:|---:|---:|\n");
      for (MethodSweep s : sweeps) {
        for (double v : s.values()) {
          PointSummary p = PointSummary.of(rows, s, v);
          md.append("| ").append(methodName(s.method())).append(" | ").append(s.knob().symbol)
              .append(" = ").append(format(v)).append(" | ").append(p.runs())
              .append(" | ").append(number(p.meanScore()))
              .append(Double.isFinite(p.sdScore()) ? " ± " + number(p.sdScore()) : "")
              .append(" | ").append(number(p.perplexity())).append(" |\n");
        }
      }
    }
    md.append("\n| method | λ / w | seed | prompt | test score | ").append(ppl)
        .append(" | steps | wall clock | state | run |\n");
    md.append("|---|---|---:|---|---:|---:|---:|---:|---|---|\n");
    for (Row r : rows) {
      md.append("| ").append(methodName(r.sweep().method()))
          .append(" | ").append(r.sweep().knob().symbol).append(" = ").append(format(r.value()))
          .append(" | ").append(r.seed())
          .append(" | ").append(r.prompt().isEmpty() ? "" : "`" + r.prompt()
              .replace("|", "\\|").replace("`", "'") + "`")
          .append(" | ").append(number(r.testScore()))
          .append(" | ").append(number(r.perplexity()))
          .append(" | ").append(r.run().getStep())
          .append(" | ").append(wallClock(r.run()))
          .append(" | ").append(RunProgress.shortState(r.run().getState()))
          .append(" | ").append(r.run().getId())
          .append(" |\n");
    }
    md.append("\nWall clock: from the run's creation to its last update (a resumed run counts "
        + "its pause).\n");
    return md.toString();
  }

  /** Steps (and prompts a step, and a time limit) of a spec with its defaults filled in. */
  static String budget(RunSpec effective) {
    StringBuilder b = new StringBuilder().append(effective.getBudget().getMaxSteps())
        .append(" steps");
    if (effective.getMethod() != Method.METHOD_PEZ) {
      b.append(" × ").append(effective.getPromptsPerStep()).append(" prompts");
    }
    if (effective.getBudget().hasMaxDuration()) {
      b.append(", at most ").append(Durations.toString(effective.getBudget().getMaxDuration()));
    }
    if (effective.getBudget().getEarlyStoppingPatience() > 0) {
      b.append(", early stopping after ").append(effective.getBudget()
          .getEarlyStoppingPatience()).append(" evaluations without progress");
    }
    return b.toString();
  }

  private static String wallClock(Run run) {
    if (!run.hasCreated() || !run.hasUpdated()) {
      return "-";
    }
    long seconds = Math.max(0, Timestamps.toMillis(run.getUpdated())
        - Timestamps.toMillis(run.getCreated())) / 1000;
    return seconds >= 60 ? String.format(Locale.ROOT, "%d min %02d s", seconds / 60, seconds % 60)
        : seconds + " s";
  }

  private static String number(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "-";
  }

  static String format(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value) : Double.toString(value);
  }
}
