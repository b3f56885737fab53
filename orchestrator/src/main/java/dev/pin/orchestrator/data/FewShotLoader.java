package dev.pin.orchestrator.data;

import dev.pin.v1.LabeledText;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the few-shot TSV layout of LM-BFF/RLPrompt (§6.1): {@code <dir>/16-<seed>/train.tsv},
 * {@code <dir>/16-<seed>/dev.tsv} and {@code <dir>/test.tsv}, each with the header {@code
 * sentence<TAB>label} ({@code text<TAB>label} in the AG News splits) and integer labels from 0.
 * Quoting follows pandas (see {@link DelimitedReader}), because the papers' numbers were computed
 * on the unquoted sentences.
 */
public final class FewShotLoader {
  /** Accepted names of the text column: the AG News splits of LM-BFF name it {@code text}. */
  private static final java.util.Set<String> TEXT_COLUMNS = java.util.Set.of("sentence", "text");

  private FewShotLoader() {}

  /**
   * Loads the train and dev files of one split seed and the test file.
   *
   * @param dir the dataset folder
   * @param splitSeed the seed in {@code 16-<seed>}
   * @param numClasses the number of classes (labels must be below it); 0 or less accepts any
   *     non-negative label
   * @throws java.nio.file.NoSuchFileException when a file is missing
   * @throws DataFormatException when a file is malformed
   */
  public static FewShotSplit load(DataDir dir, int splitSeed, int numClasses) throws IOException {
    String splitDir = "16-" + splitSeed + "/";
    return new FewShotSplit(
        read(dir, splitDir + "train.tsv", numClasses),
        read(dir, splitDir + "dev.tsv", numClasses),
        read(dir, "test.tsv", numClasses));
  }

  /**
   * Reads one TSV file of the layout.
   *
   * @param dir the folder the file is in
   * @param relative the file's path inside the folder
   * @param numClasses labels must be below this; 0 or less accepts any non-negative label
   */
  public static List<LabeledText> read(DataDir dir, String relative, int numClasses)
      throws IOException {
    String name = dir.describe(relative);
    List<DelimitedReader.Record> records;
    try (Reader in = dir.openText(relative)) {
      records = new DelimitedReader(in, '\t', name).readAll();
    } catch (CharacterCodingException e) {
      throw new DataFormatException(name, 0, "is not valid UTF-8 text (" + e + ")");
    }
    if (records.isEmpty()) {
      throw new DataFormatException(
          name, 0, "file is empty: expected a header 'sentence<TAB>label' and examples");
    }
    DelimitedReader.Record header = records.get(0);
    if (header.fields().size() != 2
        || !TEXT_COLUMNS.contains(header.fields().get(0).strip())
        || !header.fields().get(1).strip().equals("label")) {
      throw new DataFormatException(
          name,
          header.line(),
          "expected the header 'sentence<TAB>label' (or 'text<TAB>label'), found '"
              + abbreviate(String.join("<TAB>", header.fields()))
              + "'");
    }
    if (records.size() == 1) {
      throw new DataFormatException(name, 0, "has a header but no examples");
    }
    List<LabeledText> out = new ArrayList<>(records.size() - 1);
    for (DelimitedReader.Record r : records.subList(1, records.size())) {
      List<String> f = r.fields();
      if (f.size() != 2) {
        throw new DataFormatException(
            name,
            r.line(),
            "expected 2 tab-separated columns (sentence, label), found " + f.size());
      }
      String label = f.get(1).strip();
      int value;
      try {
        value = Integer.parseInt(label);
      } catch (NumberFormatException e) {
        throw new DataFormatException(
            name,
            r.line(),
            "label must be an integer class index, found '" + abbreviate(label) + "'");
      }
      if (value < 0 || (numClasses > 0 && value >= numClasses)) {
        String range = numClasses > 0 ? "between 0 and " + (numClasses - 1) : "0 or more";
        throw new DataFormatException(
            name, r.line(), "label must be " + range + ", found " + value);
      }
      if (f.get(0).isBlank()) {
        throw new DataFormatException(name, r.line(), "sentence is empty");
      }
      out.add(LabeledText.newBuilder().setText(f.get(0)).setLabel(value).build());
    }
    return out;
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
