package dev.pin.scorer.naturalness;

import java.io.IOException;
import java.util.List;

/**
 * The one thing causal perplexity needs from a causal LM: next-token logits at every position of
 * each sequence in a batch, plus its tokenizer. {@link OrtCausalScoringLm} adapts the platform's
 * ONNX Runtime GPT-2 to it, so the scoring math does not import ONNX Runtime.
 */
public interface CausalScoringLm {
  /** Store name of the model. */
  String name();

  /** Vocabulary size |V|. */
  int vocabSize();

  /** Longest input in tokens, BOS included. */
  int maxPositions();

  /** Id of the BOS token ({@code <|endoftext|>} for GPT-2). */
  int bosId();

  /** Whether {@code id} is a special token ({@code <|endoftext|>} …). */
  boolean isSpecial(int id);

  /** The text re-tokenised, with no special tokens added. */
  int[] ids(String text);

  /** The token as the vocabulary spells it (byte-level symbols, e.g. {@code Ġgreat}). */
  String token(int id);

  /** The token decoded to text (e.g. {@code " great"}). */
  String decode(int id);

  /**
   * One forward pass over a batch: {@code [b][t]} holds the logits predicting token {@code t + 1}
   * of sequence {@code b}, for every {@code t} below that sequence's length.
   */
  float[][][] logits(List<int[]> sequences) throws IOException;
}
