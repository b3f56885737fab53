package dev.pin.scorer.readability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scrutability proxies on hand-worked cases. */
class ReadabilityTest {
  @TempDir
  Path dir;

  private WordList words(String... lines) throws IOException {
    Path f = dir.resolve("words");
    Files.write(f, List.of(lines), StandardCharsets.UTF_8);
    return WordList.load(f);
  }

  @Test
  void repetitionIsTheShareOfTokensRepeatingAnEarlierOne() {
    assertEquals(0.8, Readability.repetition(new int[] {7, 7, 7, 7, 7}), 1e-12);
    assertEquals(0.0, Readability.repetition(new int[] {1, 2, 3, 4, 5}), 1e-12);
    assertEquals(0.5, Readability.repetition(new int[] {1, 2, 1, 2}), 1e-12);
    assertEquals(0.4, Readability.repetition(new int[] {9, 3, 9, 4, 3}), 1e-12);
    assertEquals(0.0, Readability.repetition(new int[] {42}), 1e-12);
    assertTrue(Double.isNaN(Readability.repetition(new int[0])));
  }

  @Test
  void dictionaryShareCountsWholeWordsOnly() throws IOException {
    WordList w = words("the", "movie", "movies", "great", "Paris", "");
    // the ✓, movie ✗ (continued by ##s: only the first piece of "movies"), ##s ✗ (a piece),
    // great ✓, "." ✗ (not a word), [UNK] ✗, paris ✓ (case ignored).
    List<String> tokens = List.of("the", "movie", "##s", "great", ".", "[UNK]", "paris");
    assertEquals(3.0 / 7, Readability.dictionaryWordShare(tokens, w), 1e-12);
    assertEquals(1.0, Readability.dictionaryWordShare(List.of("great", "movies"), w), 1e-12);
    assertEquals(0.0, Readability.dictionaryWordShare(List.of("##the", "##great"), w), 1e-12);
    assertTrue(Double.isNaN(Readability.dictionaryWordShare(List.of(), w)));
  }

  @Test
  void wordListIgnoresCaseAndBlankLines() throws IOException {
    WordList w = words("Apple", "  banana  ", "", "cherry's");
    assertEquals(3, w.size());
    assertTrue(w.contains("apple"));
    assertTrue(w.contains("APPLE"));
    assertTrue(w.contains("banana"));
    assertTrue(w.contains("cherry's"));
    assertFalse(w.contains("cherry"));
  }

  @Test
  void missingOrEmptyWordListsFailClearly() throws IOException {
    assertThrows(NoSuchFileException.class, () -> WordList.load(dir.resolve("absent")));
    Files.writeString(dir.resolve("empty"), "\n\n");
    IOException e = assertThrows(IOException.class, () -> WordList.load(dir.resolve("empty")));
    assertTrue(e.getMessage().contains("no words"), e.getMessage());
  }

  @Test
  void debiansWamericanListLoadsWhenInstalled() throws IOException {
    Path wamerican = Path.of("/usr/share/dict/american-english");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(wamerican),
        "wamerican is not installed (apt-get install wamerican)");
    WordList w = WordList.load(wamerican);
    assertTrue(w.size() > 50_000, "size " + w.size());
    for (String word : List.of("the", "movie", "great", "terrible", "paris")) {
      assertTrue(w.contains(word), word);
    }
    assertFalse(w.contains("zqxv"));
  }
}
