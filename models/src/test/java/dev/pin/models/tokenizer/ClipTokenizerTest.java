package dev.pin.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLIP's tokenizer (DJL's HuggingFace tokenizers, offline) on a hand-built CLIP-format
 * {@code tokenizer.json} with known merges ({@link TinyModels#CLIP_MERGES}); the expected tokens
 * follow from CLIP's rules by hand.
 */
class ClipTokenizerTest {
  @TempDir static Path tmp;
  static ClipTokenizer tok;
  static Map<String, Integer> vocab;

  @BeforeAll
  static void open() throws IOException {
    Path file = tmp.resolve("tokenizer.json");
    ClipTokenizer.writeTokenizerJson(file, TinyModels.CLIP_MERGES);
    vocab = ClipTokenizer.vocab(TinyModels.CLIP_MERGES);
    tok = ClipTokenizer.open(file, vocab.get(ClipTokenizer.START_OF_TEXT),
        vocab.get(ClipTokenizer.END_OF_TEXT), ClipTokenizer.CONTEXT_LENGTH);
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  @Test
  void vocabularyFollowsOpenAisOrder() {
    // OpenAI's real vocabulary has "!" = 0, "a" = 64, "a</w>" = 320, "!</w>" = 256 too.
    assertEquals(0, vocab.get("!"));
    assertEquals(64, vocab.get("a"));
    assertEquals(256, vocab.get("!</w>"));
    assertEquals(320, vocab.get("a</w>"));
    assertEquals(512, vocab.get("gr"), "the first merge follows the 512 byte symbols");
    assertEquals(vocab.size() - 1, vocab.get(ClipTokenizer.END_OF_TEXT));
  }

  @Test
  void mergesEndOfWordAndSpecials() {
    assertEquals(List.of("a</w>", "photo</w>", "of</w>", "a</w>", "red</w>", "cat</w>"),
        tok.tokens("a photo of a red cat"));
    int[] ids = tok.encode("a red cat");
    assertArrayEquals(new int[] {tok.startId(), 320, vocab.get("red</w>"), vocab.get("cat</w>"),
        tok.endId()}, ids);
    // "red" not at a word end: only the "r e" merge applies ("re d</w>" needs the suffix).
    assertEquals(List.of("re", "d", "s</w>"), tok.tokens("reds"));
    assertEquals(List.of("green</w>"), tok.tokens("green"));
    // Merges apply by rank: "gree n</w>" needs the word to end after the n.
    assertEquals(List.of("gree", "n", "e", "r</w>"), tok.tokens("greener"));
    // "g r" (rank 0) outranks "r e" (rank 4), so "gred" never forms "red".
    assertEquals(List.of("gr", "e", "d</w>"), tok.tokens("gred"));
  }

  @Test
  void lowercasesCollapsesWhitespaceAndSplitsLikeClip() {
    assertEquals(tok.tokens("a red cat"), tok.tokens("  A   RED\tCat \n"));
    assertEquals(List.of("cat</w>", "'", "s</w>"), tok.tokens("cat's"));
    assertEquals(List.of("4</w>", "2</w>"), tok.tokens("42"), "digits one by one");
    assertEquals(List.of("dog</w>", "!", "!</w>", "?</w>"), tok.tokens("dog!! ?"));
    // Byte-level symbols: É → é (lowercase after NFC) → bytes C3 A9 → "Ã", "©</w>".
    assertEquals(List.of("Ã", "©</w>"), tok.tokens("É"));
    assertArrayEquals(new int[] {tok.startId(), tok.endId()}, tok.encode("   "));
  }

  @Test
  void truncatesToTheContextKeepingBothSpecials() {
    int[] ids = tok.encode("cat ".repeat(100));
    assertEquals(77, ids.length);
    assertEquals(tok.startId(), ids[0]);
    assertEquals(tok.endId(), ids[76]);
    for (int i = 1; i < 76; i++) {
      assertEquals(vocab.get("cat</w>"), ids[i]);
    }
  }

  @Test
  void decodesBackToNormalisedText() {
    assertEquals("a photo of a red cat", tok.decode(tok.encode("A photo of  a red CAT")));
    assertEquals("cat 's", tok.decode(tok.encode("cat's")));
  }
}
