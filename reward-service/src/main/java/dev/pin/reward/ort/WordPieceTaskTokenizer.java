package dev.pin.reward.ort;

import dev.pin.platform.models.tokenizer.WordPieceTokenizer;
import dev.pin.reward.backend.TaskTokenizer;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** BERT's WordPiece tokenizer as the reward service sees it (no leading-space convention). */
final class WordPieceTaskTokenizer implements TaskTokenizer {
  private final WordPieceTokenizer tokenizer;
  private final String maskToken;

  WordPieceTaskTokenizer(WordPieceTokenizer tokenizer, String maskToken) {
    this.tokenizer = tokenizer;
    this.maskToken = maskToken;
  }

  @Override
  public List<String> tokenize(String text) {
    return tokenizer.tokenize(text);
  }

  @Override
  public int[] encode(String text) {
    return tokenizer.ids(text);
  }

  @Override
  public String decode(int[] ids) {
    return tokenizer.decode(ids);
  }

  @Override
  public OptionalInt tokenToId(String token) {
    int id = tokenizer.id(token);
    return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
  }

  @Override
  public Optional<String> maskToken() {
    return Optional.of(maskToken);
  }

  @Override
  public int specialTokenCount() {
    return 2; // [CLS] … [SEP]
  }
}
