package dev.pin.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordPieceTokenizerTest {
  static final List<String> SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
  static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the",
      "un", "##aff", "##able", "cafe", ".", ",", "!", "'", "s", "$", "5", "人", "hello", "Hello",
      "##s", "re", "##sume");

  final WordPieceTokenizer uncased = new WordPieceTokenizer(VOCAB, true, SPECIALS);
  final WordPieceTokenizer cased = new WordPieceTokenizer(VOCAB, false, SPECIALS);

  @Test
  void greedyLongestMatchWithContinuations() {
    assertEquals(List.of("un", "##aff", "##able"), uncased.tokenize("unaffable"));
    assertEquals(List.of("[UNK]"), uncased.tokenize("unaffablex"));
  }

  @Test
  void uncasedLowercasesAndStripsAccents() {
    assertEquals(List.of("the", "cafe", "re", "##sume"), uncased.tokenize("The Café  RÉSUMÉ"));
    assertEquals(List.of("hello", "hello"), uncased.tokenize("Hello HELLO"));
    assertEquals(List.of("Hello", "hello"), cased.tokenize("Hello hello"));
    assertEquals(List.of("[UNK]"), cased.tokenize("Café"));
  }

  @Test
  void splitsPunctuationSymbolsAndCjk() {
    assertEquals(List.of("hello", ",", "the", "'", "s", "!", "$", "5", "人", "."),
        uncased.tokenize("hello,the's!$5人."));
  }

  @Test
  void keepsSpecialTokensWhole() {
    assertEquals(List.of("the", "[MASK]", "."), uncased.tokenize("the [MASK]."));
    // Lower-casing must not turn a literal special token into word pieces.
    assertEquals(List.of("[CLS]", "hello", "[SEP]"), uncased.tokenize("[CLS]Hello[SEP]"));
  }

  @Test
  void encodeAddsClsAndSepAndDecodeMergesPieces() {
    int[] ids = uncased.encode("unaffable hellos");
    assertArrayEquals(new int[] {2, 6, 7, 8, 18, 20, 3}, ids);
    assertEquals("[CLS] unaffable hellos [SEP]", uncased.decode(ids));
  }

  @Test
  void controlCharactersAreDroppedAndWhitespaceNormalised() {
    assertEquals(List.of("the", "hello"), uncased.tokenize("\u0000the\u00a0\thello\u200b\n"));
  }

  /** The tokenizer.json it writes (and runs) loads in HuggingFace tokenizers to the same ids. */
  @Test
  void writtenTokenizerJsonGivesTheSameIds(@TempDir Path dir) throws IOException {
    List<String> vocab = TinyModels.vocab();
    WordPieceTokenizer ours = new WordPieceTokenizer(vocab, true, SPECIALS);
    Path json = dir.resolve("tokenizer.json");
    ours.writeHuggingFaceJson(json);
    try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(json)) {
      for (String text : List.of("the capital of France is [MASK] .", "I went to the store!",
          "Zebras, quickly: 42 (really)?", "an Émile-Zola movie")) {
        Encoding e = hf.encode(text);
        long[] expected = e.getIds();
        int[] actual = ours.encode(text);
        assertEquals(Arrays.toString(expected), Arrays.toString(actual), text);
      }
    }
  }
}
