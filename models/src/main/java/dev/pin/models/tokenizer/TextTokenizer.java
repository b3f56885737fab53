package dev.pin.models.tokenizer;

import java.util.List;

/**
 * A model's tokenizer as the encoders see it, whatever its algorithm: WordPiece for BERT
 * ({@code [CLS] … [SEP]}), byte-level BPE for RoBERTa ({@code <s> … </s>}, leading spaces as
 * {@code Ġ}). Thread-safe.
 */
public interface TextTokenizer {

  /** Tokens of {@code text} as the vocabulary spells them, without the added special tokens. */
  List<String> tokenize(String text);

  /** Ids of {@code text}'s tokens, without the added special tokens. */
  int[] ids(String text);

  /** The single-sentence model input: {@code [CLS] text [SEP]} or {@code <s> text </s>}. */
  int[] encode(String text);

  /** Text of {@code ids}, special tokens skipped. */
  String decode(int[] ids);

  /** The id of a vocabulary entry, or -1. */
  int id(String token);

  /** The vocabulary entry of {@code id}. */
  String token(int id);

  /** Vocabulary size. */
  int vocabSize();
}
