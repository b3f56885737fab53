package dev.pin.scorer;

import dev.pin.kit.grpc.FieldErrors;
import dev.pin.scorer.faithfulness.TaskFaithfulness;
import dev.pin.scorer.naturalness.Convention;
import dev.pin.scorer.naturalness.NaturalnessResult;
import dev.pin.scorer.naturalness.NaturalnessScorer;
import dev.pin.scorer.naturalness.PriorTopK;
import dev.pin.scorer.naturalness.TokenScore;
import dev.pin.scorer.readability.Readability;
import dev.pin.scorer.readability.WordList;
import dev.pin.scorer.report.ReadabilityRow;
import dev.pin.scorer.report.ReportRenderer;
import dev.pin.v1.InterpretabilityRequest;
import dev.pin.v1.InterpretabilityResponse;
import dev.pin.v1.ModelPrecision;
import dev.pin.v1.ModelRef;
import dev.pin.v1.NaturalnessConvention;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.NaturalnessResponse;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptInterpretability;
import dev.pin.v1.PromptNaturalness;
import dev.pin.v1.ReportPrompt;
import dev.pin.v1.ReportRequest;
import dev.pin.v1.ReportResponse;
import dev.pin.v1.ReportRun;
import dev.pin.v1.ScorerGrpc;
import dev.pin.v1.Split;
import dev.pin.v1.TokenPlausibility;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Scorer gRPC service (ALGORITHMS.md §7.2, §7.3). Every request is validated in full first
 * (INVALID_ARGUMENT naming each bad field); a model or word list that is not there is
 * FAILED_PRECONDITION saying how to get it. Inference blocks the calling handler thread, which is
 * one of {@code ServiceHost}'s bounded handler pool: that pool, not this class, bounds concurrent
 * model work.
 */
final class ScorerService extends ScorerGrpc.ScorerImplBase {
  static final int MAX_PROMPTS = 4096;
  static final int MAX_CURVES_PER_RUN = 64;

  private final ScoringModels models;
  private final Dictionary dictionary;
  private final TaskFaithfulness faithfulness;
  private final ScorerMetrics metrics;
  private final long maxRequestPositions;

  ScorerService(ScoringModels models, Dictionary dictionary, TaskFaithfulness faithfulness,
      ScorerMetrics metrics, long maxRequestPositions) {
    this.models = models;
    this.dictionary = dictionary;
    this.faithfulness = faithfulness;
    this.metrics = metrics;
    this.maxRequestPositions = maxRequestPositions;
  }

  // ---- Validation -------------------------------------------------------------------------

  private static void prompts(FieldErrors errors, List<Prompt> prompts) {
    errors.range("prompts", prompts.size(), 1, MAX_PROMPTS);
    for (int i = 0; i < prompts.size(); i++) {
      errors.check(!prompts.get(i).getText().isBlank(), "prompts[" + i + "]",
          "needs text (the scorer re-tokenises the text with the scoring model's tokenizer;"
              + " naturalness of an empty prompt is undefined)");
    }
  }

  private static void model(FieldErrors errors, ModelRef model) {
    model(errors, "model", model);
  }

  private static void model(FieldErrors errors, String field, ModelRef model) {
    String name = model.getName();
    errors.check(name.isEmpty() || (!name.isBlank() && !name.contains("/")
        && !name.contains("\\") && !name.startsWith(".")), field + ".name",
        "must be a model store name as `pin models list` shows it, got '%s'", name);
    errors.check(ModelPrecision.forNumber(model.getPrecisionValue()) != null,
        field + ".precision", "must be a ModelPrecision, got %d", model.getPrecisionValue());
  }

  /**
   * Re-tokenises every prompt with the scoring model; text that yields no tokens, too many, or
   * special tokens written literally is INVALID_ARGUMENT (they would corrupt the masked copies).
   */
  private static List<int[]> tokenize(NaturalnessScorer scorer, Convention convention,
      List<String> texts, List<String> fields) {
    FieldErrors errors = new FieldErrors();
    int min = NaturalnessScorer.minTokens(convention);
    List<int[]> ids = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      int[] z = scorer.tokenize(texts.get(i));
      ids.add(z);
      String field = fields.get(i);
      if (z.length == 0) {
        errors.add(field, "has no tokens under " + scorer.name());
      } else if (z.length < min) {
        errors.add(field, "is " + z.length + " token under " + scorer.name() + "; " + convention
            + " scores the tokens after the first, so it needs at least " + min);
      } else if (z.length > scorer.maxPromptTokens()) {
        errors.add(field, "is " + z.length + " tokens under " + scorer.name() + "; at most "
            + scorer.maxPromptTokens() + " fit the model");
      }
      for (int id : z) {
        if (scorer.isSpecial(id)) {
          errors.add(field, "holds the special token " + scorer.token(id)
              + "; prompts are plain text");
          break;
        }
      }
    }
    errors.throwIfAny();
    return ids;
  }

  private static List<String> texts(List<Prompt> prompts) {
    return prompts.stream().map(Prompt::getText).toList();
  }

  private static List<String> fields(String prefix, int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(prefix + "[" + i + "].text");
    }
    return out;
  }

  // ---- Naturalness ------------------------------------------------------------------------

  @Override
  public void naturalness(NaturalnessRequest request, StreamObserver<NaturalnessResponse> out) {
    FieldErrors errors = new FieldErrors();
    prompts(errors, request.getPromptsList());
    model(errors, request.getModel());
    errors.check(NaturalnessConvention.forNumber(request.getConventionValue()) != null,
        "convention", "must be a NaturalnessConvention, got %d", request.getConventionValue());
    errors.range("prior_top_k", request.getPriorTopK(), 0, 1 << 20);
    errors.throwIfAny();
    NaturalnessScorer scorer = models.scorer(request.getModel());
    Convention convention = convention(request.getConvention(), scorer);
    int k = request.getPriorTopK() > 0
        ? request.getPriorTopK() : PriorTopK.defaultFor(scorer.vocabSize());
    List<NaturalnessResult> results = score("Naturalness", scorer, convention,
        texts(request.getPromptsList()), fields("prompts", request.getPromptsCount()), k);
    NaturalnessResponse.Builder response = NaturalnessResponse.newBuilder();
    for (int i = 0; i < results.size(); i++) {
      response.addResults(toProto(request.getPrompts(i), results.get(i), request.getModel()));
    }
    out.onNext(response.build());
    out.onCompleted();
  }

  /**
   * The convention a request asks for, or the model's own when unset; one the model cannot score
   * is FAILED_PRECONDITION (the model, not the request, decides what is possible).
   */
  private static Convention convention(NaturalnessConvention asked, NaturalnessScorer scorer) {
    Convention c = switch (asked) {
      case NATURALNESS_CONVENTION_CAUSAL_PPL_BOS -> Convention.CAUSAL_PPL_BOS;
      case NATURALNESS_CONVENTION_CAUSAL_PPL_NO_BOS -> Convention.CAUSAL_PPL_NO_BOS;
      case NATURALNESS_CONVENTION_MASKED_PSEUDO_PPL -> Convention.MASKED_PSEUDO_PPL;
      default -> scorer.defaultConvention();
    };
    if (!scorer.supports(c)) {
      throw Status.FAILED_PRECONDITION.withDescription("convention " + asked + " needs a "
          + (c.causal() ? "causal LM (gpt2-clm, opt-clm)" : "masked LM (bert-mlm)")
          + ", and model '" + scorer.name() + "' is a " + (c.causal() ? "masked" : "causal")
          + " LM: name another model in model.name or leave convention unset")
          .asRuntimeException();
    }
    return c;
  }

  private static NaturalnessConvention toProto(Convention c) {
    return switch (c) {
      case CAUSAL_PPL_BOS -> NaturalnessConvention.NATURALNESS_CONVENTION_CAUSAL_PPL_BOS;
      case CAUSAL_PPL_NO_BOS -> NaturalnessConvention.NATURALNESS_CONVENTION_CAUSAL_PPL_NO_BOS;
      case MASKED_PSEUDO_PPL -> NaturalnessConvention.NATURALNESS_CONVENTION_MASKED_PSEUDO_PPL;
    };
  }

  private List<NaturalnessResult> score(String rpc, NaturalnessScorer scorer,
      Convention convention, List<String> texts, List<String> fields, int priorTopK) {
    List<int[]> ids = tokenize(scorer, convention, texts, fields);
    long cost = 0;
    for (int[] z : ids) {
      cost += scorer.cost(z.length, convention);
    }
    if (cost > maxRequestPositions) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("scoring these prompts costs " + cost
          + " token positions ((2T - 1)(T + 2) per T-token prompt under a masked LM, T + 1 under"
          + " a causal LM); the limit per call is "
          + maxRequestPositions + " (scorer.max-request-positions): send fewer or shorter prompts"
          + " per call").asRuntimeException();
    }
    Context context = Context.current();
    long t0 = System.nanoTime();
    List<NaturalnessResult> results;
    try {
      // Stop between batches once the caller has cancelled or its deadline has passed.
      results = scorer.score(ids, convention, priorTopK, () -> {
        if (context.isCancelled()) {
          boolean late = context.getDeadline() != null && context.getDeadline().isExpired();
          throw (late ? Status.DEADLINE_EXCEEDED : Status.CANCELLED)
              .withDescription("scoring abandoned: the caller went away").asRuntimeException();
        }
      });
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("scoring with " + scorer.name() + " failed: "
          + e.getMessage()).withCause(e).asRuntimeException();
    }
    String name = scorer.name();
    metrics.scoring(rpc, name, System.nanoTime() - t0);
    metrics.promptsScored(rpc, name, results.size());
    String tag = convention.name().toLowerCase(java.util.Locale.ROOT);
    results.forEach(r -> metrics.naturalness(name, tag, r.perplexity()));
    return results;
  }

  private static PromptNaturalness toProto(Prompt prompt, NaturalnessResult r, ModelRef asked) {
    PromptNaturalness.Builder b = PromptNaturalness.newBuilder()
        .setPrompt(prompt)
        .setPerplexity(r.pseudoPerplexity())
        .setLogLikelihood(r.pseudoLogLikelihood())
        .setNumTokens(r.numTokens())
        .setModel(ModelRef.newBuilder().setName(r.model()).setPrecision(
            asked.getPrecision() == ModelPrecision.MODEL_PRECISION_UNSPECIFIED
                ? ModelPrecision.MODEL_PRECISION_FP32 : asked.getPrecision()))
        .setConvention(toProto(r.convention()));
    for (TokenScore s : r.prior()) {
      b.addTokens(TokenPlausibility.newBuilder().setToken(s.token()).setTokenId(s.id())
          .setLogProb((float) s.logProb()).setRank(s.rank()).setInPriorTopK(s.inPriorTopK()));
    }
    return b.build();
  }

  // ---- Interpretability -------------------------------------------------------------------

  @Override
  public void interpretability(InterpretabilityRequest request,
      StreamObserver<InterpretabilityResponse> out) {
    FieldErrors errors = new FieldErrors();
    prompts(errors, request.getPromptsList());
    model(errors, request.getModel());
    model(errors, "policy_model", request.getPolicyModel());
    errors.check(request.getTransferTaskHandle().isEmpty() || !request.getTaskHandle().isEmpty(),
        "transfer_task_handle", "needs task_handle too (the gain is relative to that task)");
    errors.check(Split.forNumber(request.getSplitValue()) != null, "split",
        "must be a Split, got %d", request.getSplitValue());
    errors.throwIfAny();
    boolean faithful = !request.getTaskHandle().isEmpty();
    if (faithful && faithfulness == null) {
      throw Status.FAILED_PRECONDITION.withDescription("task_handle is set, but this scorer was"
          + " built without a Reward client, which faithfulness (round trip, gains) needs; leave"
          + " task_handle and transfer_task_handle empty to get the scrutability proxies")
          .asRuntimeException();
    }
    NaturalnessScorer scorer = models.scorer(request.getModel());
    WordList words = dictionary.get();
    int k = PriorTopK.defaultFor(scorer.vocabSize());
    List<NaturalnessResult> results = score("Interpretability", scorer,
        scorer.defaultConvention(), texts(request.getPromptsList()),
        fields("prompts", request.getPromptsCount()), k);
    Faithfulness f = faithful
        ? faithfulness(request.getTaskHandle(), request.getPolicyModel(),
            request.getPromptsList(), request.getSplit())
        : Faithfulness.none(results.size());
    double[] transferGain = nans(results.size());
    if (faithful && !request.getTransferTaskHandle().isEmpty()) {
      TaskFaithfulness.TaskRewards transfer = checked(faithfulness.rewards(
          request.getTransferTaskHandle(), request.getPromptsList(), request.getSplit(), false),
          results.size());
      transferGain = minus(transfer.text(), transfer.empty());
    }
    InterpretabilityResponse.Builder response = InterpretabilityResponse.newBuilder();
    for (int i = 0; i < results.size(); i++) {
      NaturalnessResult r = results.get(i);
      ReadabilityRow row = readability(r, scorer, words);
      metrics.proxies(r.model(), row.dictionaryWordShare(), row.priorTopKShare(),
          row.repetition());
      response.addResults(PromptInterpretability.newBuilder()
          .setPrompt(request.getPrompts(i))
          .setNaturalness(toProto(request.getPrompts(i), r, request.getModel()))
          .setDictionaryWordShare((float) row.dictionaryWordShare())
          .setPriorTopKShare((float) row.priorTopKShare())
          .setRepetition((float) row.repetition())
          .setRoundTripAgreement((float) f.roundTrip()[i])
          .setTaskGain((float) f.gain()[i])
          .setTransferGain((float) transferGain[i])
          .setGainTransfer((float) gainTransfer(f.gain()[i], transferGain[i]))
          .setTokenIdsReward((float) f.idsReward()[i])
          .setTextVsIdsRewardGap((float) f.gap()[i]));
    }
    response.setRoundTripShare((float) mean(f.roundTrip()))
        .setSharedVocabulary(f.sharedVocabulary());
    out.onNext(response.build());
    out.onCompleted();
  }

  /**
   * The faithfulness of prompts on one task (definitions in the README): round trip under the
   * policy tokenizer, gain over the empty prompt, R(ids) and R(text) − R(ids); NaN where not
   * measured.
   */
  record Faithfulness(double[] roundTrip, double[] gain, double[] idsReward, double[] gap,
      boolean sharedVocabulary) {
    static Faithfulness none(int n) {
      return new Faithfulness(nans(n), nans(n), nans(n), nans(n), false);
    }
  }

  private Faithfulness faithfulness(String task, ModelRef policy, List<Prompt> prompts,
      Split split) {
    int n = prompts.size();
    double[] roundTrip = perPrompt("roundTrip", faithfulness.roundTrip(task, policy, prompts), n);
    // Ids of another vocabulary name other tokens in the task model's: R(ids) would be noise.
    boolean shared = faithfulness.sharedVocabulary(task, policy);
    TaskFaithfulness.TaskRewards r = checked(faithfulness.rewards(task, prompts, split, shared),
        n);
    double[] gap = new double[n];
    for (int i = 0; i < n; i++) {
      gap[i] = r.text()[i] - r.ids()[i];
    }
    return new Faithfulness(roundTrip, minus(r.text(), r.empty()), r.ids(), gap, shared);
  }

  private static TaskFaithfulness.TaskRewards checked(TaskFaithfulness.TaskRewards r,
      int prompts) {
    perPrompt("rewards", r.text(), prompts);
    perPrompt("rewards", r.ids(), prompts);
    return r;
  }

  private static double[] minus(double[] values, double minus) {
    double[] out = new double[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[i] - minus;
    }
    return out;
  }

  private static double[] nans(int n) {
    double[] a = new double[n];
    Arrays.fill(a, Double.NaN);
    return a;
  }

  /** Mean over the values that are not NaN; NaN when there are none. */
  static double mean(double[] values) {
    double sum = 0;
    int n = 0;
    for (double v : values) {
      if (!Double.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /**
   * gain₂ / gain₁: how much of the prompt's gain over the empty prompt carries over to the second
   * task model (1 = all of it, 0 = none, negative = it hurts there). NaN when either gain is
   * missing or gain₁ is 0 (there is nothing to transfer).
   */
  static double gainTransfer(double gain, double transferGain) {
    return gain == 0 || Double.isNaN(gain) || Double.isNaN(transferGain)
        ? Double.NaN : transferGain / gain;
  }

  /** A faithfulness result must hold one value per prompt; anything else is a bug there. */
  private static double[] perPrompt(String what, double[] values, int prompts) {
    if (values == null || values.length != prompts) {
      throw Status.INTERNAL.withDescription("TaskFaithfulness." + what + " returned "
          + (values == null ? "null" : values.length + " values") + " for " + prompts
          + " prompts (a bug in the faithfulness implementation)").asRuntimeException();
    }
    return values;
  }

  private static ReadabilityRow readability(NaturalnessResult r, NaturalnessScorer scorer,
      WordList words) {
    int[] ids = r.tokenIds();
    List<String> surfaces = new ArrayList<>(ids.length);
    boolean[] continues = new boolean[ids.length];
    for (int t = 0; t < ids.length; t++) {
      surfaces.add(scorer.surface(ids[t]));
      // The first token starts the prompt's first word whatever it looks like.
      continues[t] = t > 0 && scorer.continuesWord(ids[t]);
    }
    return new ReadabilityRow(r.perplexity(),
        Readability.dictionaryWordShare(surfaces, continues, words), r.priorTopKShare(),
        Readability.repetition(ids));
  }

  // ---- Report -----------------------------------------------------------------------------

  @Override
  public void report(ReportRequest request, StreamObserver<ReportResponse> out) {
    FieldErrors errors = new FieldErrors();
    errors.check(request.getRunsCount() > 0, "runs", "must hold at least one run");
    model(errors, request.getModel());
    int promptCount = 0;
    List<String> texts = new ArrayList<>();
    List<String> fields = new ArrayList<>();
    for (int r = 0; r < request.getRunsCount(); r++) {
      ReportRun run = request.getRuns(r);
      String p = "runs[" + r + "]";
      errors.required(p + ".run_id", run.getRunId());
      errors.range(p + ".curves", run.getCurvesCount(), 0, MAX_CURVES_PER_RUN);
      for (int c = 0; c < run.getCurvesCount(); c++) {
        errors.required(p + ".curves[" + c + "].name", run.getCurves(c).getName());
      }
      model(errors, p + ".policy_model", run.getPolicyModel());
      for (int i = 0; i < run.getPromptsCount(); i++) {
        ReportPrompt prompt = run.getPrompts(i);
        String field = p + ".prompts[" + i + "].prompt.text";
        errors.check(!prompt.getPrompt().getText().isBlank(), field,
            "is required (the readability columns score the text)");
        texts.add(prompt.getPrompt().getText());
        fields.add(field);
        promptCount++;
      }
    }
    errors.range("runs[*].prompts (in all)", promptCount, 0, MAX_PROMPTS);
    errors.throwIfAny();
    if (faithfulness == null
        && request.getRunsList().stream().anyMatch(r -> !r.getTaskHandle().isEmpty())) {
      throw Status.FAILED_PRECONDITION.withDescription("a run has task_handle set, but this"
          + " scorer was built without a Reward client, which the round-trip and R(text) − R(ids)"
          + " columns need; leave runs[*].task_handle empty").asRuntimeException();
    }
    NaturalnessScorer scorer = models.scorer(request.getModel());
    WordList words = dictionary.get();
    int k = PriorTopK.defaultFor(scorer.vocabSize());
    Convention convention = scorer.defaultConvention();
    // All prompts of all runs in one batched scoring call.
    List<NaturalnessResult> results = texts.isEmpty() ? List.of()
        : score("Report", scorer, convention, texts, fields, k);
    List<List<ReadabilityRow>> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    int next = 0;
    for (ReportRun run : request.getRunsList()) {
      List<ReadabilityRow> runRows = new ArrayList<>();
      List<Prompt> prompts = run.getPromptsList().stream().map(ReportPrompt::getPrompt).toList();
      Faithfulness f = Faithfulness.none(prompts.size());
      String note = "";
      if (!run.getTaskHandle().isEmpty() && !prompts.isEmpty()) {
        try {
          f = faithfulness(run.getTaskHandle(), run.getPolicyModel(), prompts, Split.SPLIT_TRAIN);
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
            throw e;
          }
          // Reports read finished runs, often after the Reward service restarted and forgot
          // their tasks; the rest of the report still stands, so say what is missing and why.
          note = "Round trip and R(text) − R(ids) not measured: " + e.getStatus().getDescription()
              + " (the Reward service no longer holds this run's task; resuming the run"
              + " registers it again).";
        }
      }
      for (int i = 0; i < run.getPromptsCount(); i++) {
        runRows.add(readability(results.get(next++), scorer, words)
            .withFaithfulness(f.roundTrip()[i], f.gap()[i]));
      }
      rows.add(runRows);
      notes.add(note);
    }
    ReportResponse response = ReportRenderer.render(request, rows, notes,
        new ReportRenderer.Provenance(scorer.name(), convention.description(), k,
            words.source()));
    metrics.report();
    out.onNext(response);
    out.onCompleted();
  }
}
