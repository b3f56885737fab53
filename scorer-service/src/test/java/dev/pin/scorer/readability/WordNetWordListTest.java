package dev.pin.scorer.readability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bundled word list is WordNet 3.1 as {@link WordNetWordList} derives it, and works. */
class WordNetWordListTest {
  private static String resource(String name) throws IOException {
    try (InputStream in = WordList.class.getResourceAsStream(name)) {
      assertTrue(in != null, name + " is not bundled");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void bundledListIsExactlyTheGeneratedOne() throws IOException {
    List<String> generated = WordNetWordList.generate();
    List<String> shipped = resource(WordList.BUNDLED_RESOURCE).lines().toList();
    assertEquals(generated.size(), shipped.size(), "regenerate with WordNetWordList.main");
    assertEquals(generated, shipped);
  }

  @Test
  void bundledLicenseIsWordNetsOwn() throws IOException {
    String license = resource("WORDNET-LICENSE.txt");
    assertEquals(WordNetWordList.license(), license);
    assertTrue(license.contains("WordNet 3.1 Copyright 2011 by Princeton University"), license);
  }

  @Test
  void bundledListHoldsFunctionWordsInflectionsAndLemmas() {
    WordList w = WordList.bundled();
    assertEquals(WordList.BUNDLED_SOURCE, w.source());
    assertTrue(w.size() > 80_000, "size " + w.size());
    // Function words (glosses), regular and irregular inflections, lemmas, a proper noun lemma:
    // the words of the README's demo prompts and of "it was".
    for (String word : List.of("the", "of", "and", "it", "was", "after", "movies", "dubbed",
        "shattered", "mice", "went", "tentacles", "belly", "movie", "great", "terrible",
        "paris")) {
      assertTrue(w.contains(word), word);
    }
    for (String nonWord : List.of("zqxv", "zzzzz", "kendra", "physical_entity", "##s")) {
      assertFalse(w.contains(nonWord), nonWord);
    }
  }
}
