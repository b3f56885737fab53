package dev.pin.scorer.naturalness;

import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.List;

/**
 * The one thing the naturalness metrics need from a masked LM: vocabulary logits at one position
 * of each sequence in a batch. Engine-specific adapters ({@link OrtMaskedScoringLm}) implement it,
 * so the scoring math does not import ONNX Runtime.
 */
public interface MaskedScoringLm {
  /** Store name of the model, recorded next to every number it produces (§7.3). */
  String name();

  /** The model's own tokenizer; prompts are re-tokenised with it. */
  WordPieceTokenizer tokenizer();

  /** Vocabulary size |V| (width of a logits row). */
  int vocabSize();

  /** Longest input in tokens, {@code [CLS]} and {@code [SEP]} included. */
  int maxPositions();

  /** Id of {@code [CLS]}. */
  int clsId();

  /** Id of {@code [SEP]}. */
  int sepId();

  /** Id of {@code [MASK]}. */
  int maskId();

  /**
   * One forward pass over a batch: row {@code b} holds the MLM head's logits at {@code
   * positions[b]} of {@code sequences.get(b)}.
   */
  float[][] logitsAt(List<int[]> sequences, int[] positions) throws IOException;
}
