package dev.pin.orchestrator.data;

import dev.pin.v1.StyleExample;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the Yelp sentiment style-transfer files as redistributed with RLPrompt (§6.2): one
 * lowercased, tokenised sentence per line in {@code sentiment.{dev,test,ref}.{0,1}.txt}, where
 * {@code sentiment.ref.<s>.txt} holds, line by line, human rewrites of {@code
 * sentiment.test.<s>.txt} into the other style.
 *
 * <p>The shared data has no separate training file, so training sentences come from {@code
 * sentiment.dev.<s>.txt}. The dev sentences (for model selection) are the {@value #DEV_SIZE}
 * sentences that follow the training ones in that file; when every line is used for training they
 * are its first {@value #DEV_SIZE} lines, which then overlap the training set (there is nothing
 * else to hold out).
 */
public final class YelpStyleLoader {
  /** How many dev sentences are used for model selection. */
  public static final int DEV_SIZE = 100;

  private YelpStyleLoader() {}

  /**
   * Loads one direction.
   *
   * @param dir the folder with the sentiment.*.txt files
   * @param sourceStyle 0 reads the negative files (negative→positive), 1 the positive ones
   * @param maxTrain training sentences to use (0 = all)
   * @param maxTest test sentences to use (0 = all)
   */
  public static StyleData load(DataDir dir, int sourceStyle, int maxTrain, int maxTest)
      throws IOException {
    if (sourceStyle != 0 && sourceStyle != 1) {
      throw new IllegalArgumentException("source_style must be 0 or 1, got " + sourceStyle);
    }
    List<String> pool = readLines(dir, "sentiment.dev." + sourceStyle + ".txt");
    int nTrain = maxTrain > 0 ? Math.min(maxTrain, pool.size()) : pool.size();
    List<String> devLines =
        nTrain < pool.size()
            ? pool.subList(nTrain, Math.min(pool.size(), nTrain + DEV_SIZE))
            : pool.subList(0, Math.min(pool.size(), DEV_SIZE));
    String testName = "sentiment.test." + sourceStyle + ".txt";
    String refName = "sentiment.ref." + sourceStyle + ".txt";
    List<String> test = readLines(dir, testName);
    List<String> refs = readLines(dir, refName);
    if (refs.size() != test.size()) {
      throw new DataFormatException(
          dir.describe(refName),
          0,
          "expected one reference per line of "
              + testName
              + " ("
              + test.size()
              + " lines), found "
              + refs.size());
    }
    int nTest = maxTest > 0 ? Math.min(maxTest, test.size()) : test.size();
    List<StyleExample> testExamples = new ArrayList<>(nTest);
    for (int i = 0; i < nTest; i++) {
      testExamples.add(
          StyleExample.newBuilder().setText(test.get(i)).addReferences(refs.get(i)).build());
    }
    return new StyleData(plain(pool.subList(0, nTrain)), plain(devLines), testExamples);
  }

  private static List<StyleExample> plain(List<String> lines) {
    List<StyleExample> out = new ArrayList<>(lines.size());
    for (String s : lines) {
      out.add(StyleExample.newBuilder().setText(s).build());
    }
    return out;
  }

  /** Reads every line; an empty line is an error because the files are aligned line by line. */
  static List<String> readLines(DataDir dir, String relative) throws IOException {
    String name = dir.describe(relative);
    List<String> lines = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(dir.openText(relative))) {
      String s;
      int lineNo = 0;
      while ((s = in.readLine()) != null) {
        lineNo++;
        if (lineNo == 1 && !s.isEmpty() && s.charAt(0) == '\uFEFF') {
          s = s.substring(1);
        }
        if (s.isBlank()) {
          throw new DataFormatException(
              name, lineNo, "line is empty: expected one sentence per line");
        }
        lines.add(s.strip());
      }
    } catch (CharacterCodingException e) {
      throw new DataFormatException(name, 0, "is not valid UTF-8 text (" + e + ")");
    }
    if (lines.isEmpty()) {
      throw new DataFormatException(name, 0, "file is empty: expected one sentence per line");
    }
    return lines;
  }
}
