package dev.pin.scorer.readability;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * A dictionary of real words, one per line (e.g. Debian's {@code wamerican},
 * {@code /usr/share/dict/american-english}). Lookups ignore case, since uncased models lower-case
 * their tokens and the list capitalises proper nouns. Immutable.
 */
public final class WordList {
  private final Path source;
  private final Set<String> words;

  private WordList(Path source, Set<String> words) {
    this.source = source;
    this.words = Set.copyOf(words);
  }

  /**
   * Reads a word list; lines are trimmed and blank lines skipped. Bytes that are not UTF-8 (older
   * lists are Latin-1) are replaced rather than failing the load.
   *
   * @throws NoSuchFileException when the file is missing
   * @throws IOException when it cannot be read or holds no words
   */
  public static WordList load(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "word list not found");
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    Set<String> words = new HashSet<>();
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(Files.newInputStream(file), decoder))) {
      String line;
      while ((line = in.readLine()) != null) {
        String w = line.strip();
        if (!w.isEmpty()) {
          words.add(w.toLowerCase(Locale.ROOT));
        }
      }
    }
    if (words.isEmpty()) {
      throw new IOException("word list " + file + " holds no words");
    }
    return new WordList(file, words);
  }

  /** A word list from the given words (for callers that build their own). */
  public static WordList of(Path source, Set<String> words) {
    Set<String> lower = new HashSet<>();
    words.forEach(w -> lower.add(w.toLowerCase(Locale.ROOT)));
    return new WordList(source, lower);
  }

  /** Where the list came from. */
  public Path source() {
    return source;
  }

  /** Number of distinct (lower-cased) words. */
  public int size() {
    return words.size();
  }

  /** Whether {@code word} is in the list, ignoring case. */
  public boolean contains(String word) {
    return words.contains(word.toLowerCase(Locale.ROOT));
  }
}
