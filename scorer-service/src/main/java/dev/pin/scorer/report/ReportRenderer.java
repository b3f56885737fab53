package dev.pin.scorer.report;

import com.google.protobuf.ByteString;
import dev.pin.v1.ReportAsset;
import dev.pin.v1.ReportPrompt;
import dev.pin.v1.ReportRequest;
import dev.pin.v1.ReportResponse;
import dev.pin.v1.ReportRun;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Renders a {@link ReportRequest} as Markdown and HTML: per run, a table with one row per {@link
 * ReportPrompt} (label, prompt text, every task score, pseudo-perplexity, dictionary-word share,
 * prior top-k share, repetition and, for a run with a task handle, round trip and R(text) −
 * R(ids)) and the run's training curves as a PNG asset that both documents reference by file
 * name; with two or more runs that have curves, also {@value #COMPARISON} with the runs overlaid
 * on shared axes ({@link #COMPARED_PANELS}). Every run's table has the score columns of every run
 * in the report, so methods line up: a score a run has none of (the RL methods' continuous-prompt
 * faithfulness columns, {@link #FAITHFULNESS_SCORES}) shows "–". Pure: the readability and
 * faithfulness numbers are computed by the caller.
 */
public final class ReportRenderer {
  /** Panel of a run's dev-score curves; its first curve is what the comparison overlays. */
  public static final String DEV_SCORE_PANEL = "dev score";
  /** Panel of a run's reward curves; its first curve is what the comparison overlays. */
  public static final String REWARD_PANEL = "reward";
  /** The panels the comparison chart overlays, top to bottom. */
  public static final List<String> COMPARED_PANELS = List.of(DEV_SCORE_PANEL, REWARD_PANEL);
  /** File name of the comparison chart. */
  public static final String COMPARISON = "comparison.png";
  /**
   * Score names of a PEZ or soft-prompt row (§7.2's faithfulness of the readable projection, on
   * dev and test): the continuous prompt's accuracy, its projection's, and the share of examples
   * where both predict the same class. The columns follow dev_score and test_score, in this order.
   */
  public static final List<String> FAITHFULNESS_SCORES = List.of("continuous_dev",
      "projection_dev", "agreement_dev", "continuous_test", "projection_test", "agreement_test");
  /** Where known score columns go: these first, in this order, then the rest by name. */
  private static final List<String> SCORE_ORDER;

  static {
    List<String> order = new ArrayList<>(List.of("dev_score", "test_score"));
    order.addAll(FAITHFULNESS_SCORES);
    SCORE_ORDER = List.copyOf(order);
  }

  /**
   * What the readability columns were measured with, printed under the title.
   *
   * @param model store name of the scoring LM
   * @param convention e.g. "masked-LM pseudo-perplexity (Salazar et al. 2020)"
   * @param priorTopK k of the prior top-k share
   * @param wordList where the dictionary came from
   */
  public record Provenance(String model, String convention, int priorTopK, String wordList) {}

  private ReportRenderer() {}

  /**
   * Renders the report.
   *
   * @param request the runs (validated: every run has an id)
   * @param rows {@code rows.get(r).get(p)} is the readability of {@code runs[r].prompts[p]}
   * @param provenance what measured the readability columns
   */
  public static ReportResponse render(ReportRequest request, List<List<ReadabilityRow>> rows,
      Provenance provenance) {
    return render(request, rows, java.util.Collections.nCopies(request.getRunsCount(), ""),
        provenance);
  }

  /**
   * Renders the report with a note under each run's heading.
   *
   * @param request the runs (validated: every run has an id)
   * @param rows {@code rows.get(r).get(p)} is the readability of {@code runs[r].prompts[p]}
   * @param notes {@code notes.get(r)} is printed under run r's heading ("" for none), e.g. why
   *     its faithfulness columns are empty
   * @param provenance what measured the readability columns
   */
  public static ReportResponse render(ReportRequest request, List<List<ReadabilityRow>> rows,
      List<String> notes, Provenance provenance) {
    String title = request.getTitle().isBlank() ? "pin report" : request.getTitle();
    List<String> assetNames = assetNames(request.getRunsList());
    StringBuilder md = new StringBuilder();
    StringBuilder html = new StringBuilder();
    md.append("# ").append(mdText(title)).append("\n\n");
    md.append(provenanceLine(provenance, false)).append("\n");
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>").append(htmlText(title)).append("</title>\n")
        .append("<style>body{font-family:sans-serif;margin:2em;max-width:80em}")
        .append("table{border-collapse:collapse;margin:1em 0}")
        .append("th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}")
        .append("td.num{text-align:right;font-variant-numeric:tabular-nums}")
        .append("code{background:#f4f4f4}</style>\n</head>\n<body>\n")
        .append("<h1>").append(htmlText(title)).append("</h1>\n")
        .append("<p>").append(provenanceLine(provenance, true)).append("</p>\n");
    List<String> scoreNames = scoreNames(request);
    if (scoreNames.contains("agreement_dev")) {
      String note = "Faithfulness columns (PEZ and soft prompts, §7.2): continuous_* is the "
          + "accuracy (%) of the continuous prompt, projection_* that of its nearest-token "
          + "projection (the row's prompt text), both computed by the policy service's float32 "
          + "task model on the same examples; agreement_* is the share of examples on which the "
          + "two predict the same class. A soft prompt's dev_score and test_score are its "
          + "continuous prompt's. RL methods have no continuous prompt: –.";
      md.append("\n").append(note).append("\n");
      html.append("<p>").append(htmlText(note)).append("</p>\n");
    }
    List<ReportAsset> assets = new ArrayList<>();
    comparison(request, title, md, html, assets);
    for (int r = 0; r < request.getRunsCount(); r++) {
      ReportRun run = request.getRuns(r);
      String heading = run.getName().isBlank() ? run.getRunId() : run.getName();
      md.append("\n## ").append(mdText(heading)).append("\n\n");
      md.append("Run `").append(run.getRunId().replace("`", "'")).append("`, method ")
          .append(method(run)).append(".\n\n");
      html.append("<h2>").append(htmlText(heading)).append("</h2>\n<p>Run <code>")
          .append(htmlText(run.getRunId())).append("</code>, method ").append(method(run))
          .append(".</p>\n");
      if (!notes.get(r).isEmpty()) {
        md.append(mdText(notes.get(r))).append("\n\n");
        html.append("<p>").append(htmlText(notes.get(r))).append("</p>\n");
      }
      table(run, rows.get(r), scoreNames, provenance, md, html);
      if (run.getCurvesCount() > 0) {
        String name = assetNames.get(r);
        assets.add(ReportAsset.newBuilder().setName(name).setContentType("image/png")
            .setData(ByteString.copyFrom(CurveChart.png("Training curves: " + heading,
                run.getCurvesList()))).build());
        md.append("\n![Training curves of ").append(mdText(heading)).append("](").append(name)
            .append(")\n");
        html.append("<img src=\"").append(htmlText(name)).append("\" alt=\"Training curves of ")
            .append(htmlText(heading)).append("\">\n");
      }
    }
    html.append("</body>\n</html>\n");
    return ReportResponse.newBuilder().setMarkdown(md.toString()).setHtml(html.toString())
        .addAllAssets(assets).build();
  }

  /**
   * With two or more runs that have a dev-score or reward curve, the overlay of those curves,
   * each run labelled by its method and heading, referenced under the title.
   */
  private static void comparison(ReportRequest request, String title, StringBuilder md,
      StringBuilder html, List<ReportAsset> assets) {
    List<CurveChart.LabelledRun> runs = new ArrayList<>();
    for (ReportRun run : request.getRunsList()) {
      boolean compared = run.getCurvesList().stream()
          .anyMatch(c -> COMPARED_PANELS.contains(CurveChart.panelOf(c)));
      if (compared) {
        runs.add(new CurveChart.LabelledRun(label(run), run.getCurvesList()));
      }
    }
    if (runs.size() < 2) {
      return;
    }
    assets.add(ReportAsset.newBuilder().setName(COMPARISON).setContentType("image/png")
        .setData(ByteString.copyFrom(CurveChart.overlay("Runs compared: " + title, runs,
            COMPARED_PANELS))).build());
    md.append("\n![Runs compared: dev score and reward by step](").append(COMPARISON)
        .append(")\n");
    html.append("<img src=\"").append(COMPARISON)
        .append("\" alt=\"Runs compared: dev score and reward by step\">\n");
  }

  /** A run in a legend: "PIN name (id)", or "PIN id" without a name. */
  static String label(ReportRun run) {
    String m = run.getMethodValue() == 0 ? "" : method(run) + " ";
    return run.getName().isBlank() ? m + run.getRunId()
        : m + run.getName() + " (" + run.getRunId() + ")";
  }

  private static String method(ReportRun run) {
    return switch (run.getMethod()) {
      case METHOD_PIN -> "PIN";
      case METHOD_RLPROMPT -> "RLPrompt";
      case METHOD_PEZ -> "PEZ";
      case METHOD_SOFT_PROMPT -> "soft prompt";
      default -> "unspecified";
    };
  }

  private static String provenanceLine(Provenance p, boolean html) {
    String model = html ? "<code>" + htmlText(p.model()) + "</code>" : "`" + p.model() + "`";
    String words = html ? "<code>" + htmlText(p.wordList()) + "</code>" : "`" + p.wordList() + "`";
    return "Readability columns: " + pplColumn(p) + " = "
        + (html ? htmlText(p.convention()) : p.convention())
        + " under " + model + " (lower is more natural); prior top-k share with k = "
        + p.priorTopK() + "; dictionary share against " + words
        + "; repetition = share of tokens repeating an earlier one.";
  }

  /** "PPL" under a causal LM, "pseudo-PPL" under a masked one (§7.3). */
  private static String pplColumn(Provenance p) {
    return p.convention().startsWith("causal") ? "PPL" : "pseudo-PPL";
  }

  /**
   * The score columns of the report: every score name of every run's rows, the known ones
   * ({@link #SCORE_ORDER}) first in their order, the rest by name.
   */
  static List<String> scoreNames(ReportRequest request) {
    Set<String> names = new TreeSet<>();
    for (ReportRun run : request.getRunsList()) {
      for (ReportPrompt p : run.getPromptsList()) {
        names.addAll(p.getScoresMap().keySet());
      }
    }
    List<String> ordered = new ArrayList<>();
    for (String known : SCORE_ORDER) {
      if (names.remove(known)) {
        ordered.add(known);
      }
    }
    ordered.addAll(names);
    return ordered;
  }

  private static void table(ReportRun run, List<ReadabilityRow> rows, List<String> scoreNames,
      Provenance provenance, StringBuilder md, StringBuilder html) {
    if (run.getPromptsCount() == 0) {
      md.append("No prompts.\n");
      html.append("<p>No prompts.</p>\n");
      return;
    }
    List<String> header = new ArrayList<>(List.of("label", "prompt"));
    header.addAll(scoreNames);
    header.addAll(List.of(pplColumn(provenance), "dictionary share", "prior top-k share",
        "repetition"));
    boolean faithfulness = !run.getTaskHandle().isEmpty();
    if (faithfulness) {
      header.addAll(List.of("round trip", "R(text) − R(ids)"));
    }
    md.append('|');
    html.append("<table>\n<thead><tr>");
    for (String h : header) {
      md.append(' ').append(mdCell(h)).append(" |");
      html.append("<th>").append(htmlText(h)).append("</th>");
    }
    md.append("\n|");
    html.append("</tr></thead>\n<tbody>\n");
    for (int i = 0; i < header.size(); i++) {
      md.append(i < 2 ? "---|" : "---:|");
    }
    md.append('\n');
    for (int i = 0; i < run.getPromptsCount(); i++) {
      ReportPrompt p = run.getPrompts(i);
      ReadabilityRow row = rows.get(i);
      List<String> text = new ArrayList<>(List.of(p.getLabel(), p.getPrompt().getText()));
      for (String s : scoreNames) {
        Double v = p.getScoresMap().get(s);
        text.add(v == null ? "–" : Numbers.format(v));
      }
      text.add(Numbers.format(row.pseudoPerplexity()));
      text.add(share(row.dictionaryWordShare()));
      text.add(share(row.priorTopKShare()));
      text.add(share(row.repetition()));
      if (faithfulness) {
        text.add(Numbers.format(row.roundTripAgreement()));
        text.add(Numbers.format(row.textVsIdsRewardGap()));
      }
      md.append('|');
      html.append("<tr>");
      for (int c = 0; c < text.size(); c++) {
        md.append(' ').append(mdCell(text.get(c))).append(" |");
        html.append(c < 2 ? "<td>" : "<td class=\"num\">").append(htmlText(text.get(c)))
            .append("</td>");
      }
      md.append('\n');
      html.append("</tr>\n");
    }
    html.append("</tbody>\n</table>\n");
  }

  private static String share(double v) {
    return Double.isFinite(v) ? String.format("%.2f", v) : "–";
  }

  /**
   * One file name per run with curves: {@code curves-<run id>.png}, the id reduced to
   * {@code [A-Za-z0-9._-]} and made unique with a numeric suffix.
   */
  static List<String> assetNames(List<ReportRun> runs) {
    Set<String> used = new HashSet<>();
    List<String> names = new ArrayList<>();
    for (ReportRun run : runs) {
      String base = "curves-" + run.getRunId().replaceAll("[^A-Za-z0-9._-]", "_");
      String name = base + ".png";
      for (int k = 2; !used.add(name); k++) {
        name = base + "-" + k + ".png";
      }
      names.add(name);
    }
    return names;
  }

  private static String mdText(String s) {
    return s.replace("\r", " ").replace("\n", " ");
  }

  /** A table cell: no line breaks; pipes, backslashes and Markdown markup characters escaped. */
  static String mdCell(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : mdText(s).toCharArray()) {
      if ("\\|`*_[]<>#".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  static String htmlText(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
