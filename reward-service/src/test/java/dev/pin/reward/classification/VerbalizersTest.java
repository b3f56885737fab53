package dev.pin.reward.classification;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.reward.testing.VocabTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerbalizersTest {

  private final VocabTokenizer wordPiece =
      VocabTokenizer.wordPiece(List.of("terrible", "great", "world", "sports", "good", "##ness"));
  private final VocabTokenizer bpe =
      VocabTokenizer.bpe(
          List.of("terrible", "great", "Ġterrible", "Ġgreat", "World", "Ġgre", "at"));

  @Test
  void uncasedVocabularyLowercases() {
    Verbalizers.Resolution r =
        Verbalizers.resolve(List.of("World", "Sports"), wordPiece, false, "tiny-bert");
    assertTrue(r.ok(), r.problems().toString());
    assertEquals(List.of("world", "sports"), r.tokens());
    assertArrayEquals(new int[] {7, 8}, r.ids());
  }

  @Test
  void byteLevelBpeUsesTheLeadingSpaceForm() {
    Verbalizers.Resolution spaced =
        Verbalizers.resolve(List.of("terrible", "great"), bpe, true, "tiny-roberta");
    assertTrue(spaced.ok());
    assertEquals(List.of("Ġterrible", "Ġgreat"), spaced.tokens());
    assertArrayEquals(new int[] {5, 6}, spaced.ids());
    Verbalizers.Resolution bare =
        Verbalizers.resolve(List.of("terrible", "great"), bpe, false, "tiny-roberta");
    assertEquals(List.of("terrible", "great"), bare.tokens());
  }

  @Test
  void aSplitWordIsNamedWithItsPieces() {
    Verbalizers.Resolution r =
        Verbalizers.resolve(List.of("terrible", "greatness"), wordPiece, true, "tiny-bert");
    assertFalse(r.ok());
    assertEquals(1, r.problems().size());
    Verbalizers.Problem p = r.problems().get(0);
    assertEquals(1, p.index());
    assertTrue(p.message().contains("\"greatness\""), p.message());
    assertTrue(p.message().contains("[\"great\", \"##ness\"]"), p.message());
    assertTrue(p.message().contains("tiny-bert"), p.message());
  }

  @Test
  void bpeSplitIsShownWithMarkers() {
    Verbalizers.Resolution r = Verbalizers.resolve(List.of("World", "great"), bpe, true, "m");
    // " World" is not a single BPE token here: it splits into Ġ-less pieces.
    assertFalse(r.ok());
    assertEquals(0, r.problems().get(0).index());
    assertTrue(r.problems().get(0).message().contains("\" World\""), r.problems().get(0).message());
  }

  @Test
  void duplicatesAcrossClassesAreRejected() {
    Verbalizers.Resolution r =
        Verbalizers.resolve(List.of("great", "terrible", "Great"), wordPiece, true, "tiny-bert");
    assertFalse(r.ok());
    assertEquals(2, r.problems().get(0).index());
    assertTrue(r.problems().get(0).message().contains("verbalizers[0]"));
  }

  @Test
  void emptyWordIsRejected() {
    Verbalizers.Resolution r = Verbalizers.resolve(List.of("great", " "), wordPiece, true, "m");
    assertEquals(1, r.problems().get(0).index());
  }
}
