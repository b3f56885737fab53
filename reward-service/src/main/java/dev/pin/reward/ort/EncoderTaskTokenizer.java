package dev.pin.reward.ort;

import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.reward.backend.TaskTokenizer;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An encoder's tokenizer as the reward service sees it: BERT's WordPiece (no leading-space
 * convention) or RoBERTa's byte-level BPE, where {@code tokenize(" great")} is {@code ["Ġgreat"]}
 * — the form a label word takes after the template's space (§6.1).
 */
final class EncoderTaskTokenizer implements TaskTokenizer {
  private final TextTokenizer tokenizer;
  private final String maskToken;

  EncoderTaskTokenizer(TextTokenizer tokenizer, String maskToken) {
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
  public int vocabSize() {
    return tokenizer.vocabSize();
  }

  @Override
  public Optional<String> maskToken() {
    return Optional.of(maskToken);
  }

  @Override
  public int specialTokenCount() {
    return 2; // [CLS] … [SEP] or <s> … </s>
  }
}
