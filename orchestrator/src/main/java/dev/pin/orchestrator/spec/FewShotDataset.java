package dev.pin.orchestrator.spec;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Template and verbalizer defaults of a known few-shot dataset (§6.1), found by the name of its
 * data folder ({@code sst-2}, {@code sst-5}, {@code agnews}, {@code subj}, {@code trec}, and the
 * demo set's {@code sentiment}).
 *
 * @param name canonical dataset name
 * @param maskedTemplate template for a masked task LM
 * @param verbalizers one label word per class in label order, cased as §6.1 writes them
 * @param labelNames class names for reports, in label order (shared/data/README.md)
 */
public record FewShotDataset(
    String name, String maskedTemplate, List<String> verbalizers, List<String> labelNames) {

  /** §6.1's masked-LM template. */
  public static final String MASKED_TEMPLATE = "{sentence} {prompt} {mask} .";

  /** §6.1's AG News template: the label word comes first. */
  public static final String AGNEWS_TEMPLATE = "{mask} {prompt} {sentence}";

  /** §6.1's causal-LM template (next-token logits at the last position). */
  public static final String CAUSAL_TEMPLATE = "{sentence} {prompt}";

  private static final FewShotDataset BINARY_SENTIMENT =
      new FewShotDataset(
          "sst-2", MASKED_TEMPLATE, List.of("terrible", "great"), List.of("negative", "positive"));

  private static final Map<String, FewShotDataset> KNOWN =
      Map.ofEntries(
          Map.entry("sst-2", BINARY_SENTIMENT),
          Map.entry("sst2", BINARY_SENTIMENT),
          Map.entry("sentiment", BINARY_SENTIMENT), // the demo set, see DemoData
          Map.entry(
              "sst-5",
              new FewShotDataset(
                  "sst-5",
                  MASKED_TEMPLATE,
                  List.of("terrible", "bad", "okay", "good", "great"),
                  List.of("very negative", "negative", "neutral", "positive", "very positive"))),
          Map.entry(
              "agnews",
              new FewShotDataset(
                  "agnews",
                  AGNEWS_TEMPLATE,
                  List.of("World", "Sports", "Business", "Tech"),
                  List.of("World", "Sports", "Business", "Sci/Tech"))),
          Map.entry(
              "subj",
              new FewShotDataset(
                  "subj",
                  MASKED_TEMPLATE,
                  List.of("subjective", "objective"),
                  List.of("subjective", "objective"))),
          Map.entry(
              "trec",
              new FewShotDataset(
                  "trec",
                  MASKED_TEMPLATE,
                  List.of("Description", "Entity", "Expression", "Human", "Location", "Number"),
                  List.of(
                      "description",
                      "entity",
                      "abbreviation-or-expression",
                      "human",
                      "location",
                      "number"))));

  /** Copies the lists. */
  public FewShotDataset {
    verbalizers = List.copyOf(verbalizers);
    labelNames = List.copyOf(labelNames);
  }

  /**
   * The dataset whose data folder has this name (case-insensitive; {@code sst-5}, {@code SST-5},
   * {@code sst5} and {@code ag_news}/{@code ag-news} are all recognised).
   */
  public static Optional<FewShotDataset> byFolderName(String folder) {
    String n = folder.toLowerCase(Locale.ROOT).replace('_', '-');
    FewShotDataset d = KNOWN.get(n);
    if (d == null) {
      d = KNOWN.get(n.replace("-", ""));
    }
    if (d == null && n.startsWith("sst") && !n.contains("-")) {
      d = KNOWN.get("sst-" + n.substring(3));
    }
    return Optional.ofNullable(d);
  }
}
