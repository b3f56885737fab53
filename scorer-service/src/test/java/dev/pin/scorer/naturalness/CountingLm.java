package dev.pin.scorer.naturalness;

import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Delegates to a real model and records the size of every forward pass it is asked for. */
final class CountingLm implements MaskedScoringLm {
  private final MaskedScoringLm lm;
  final List<Integer> batchSizes = new ArrayList<>();

  CountingLm(MaskedScoringLm lm) {
    this.lm = lm;
  }

  @Override
  public String name() {
    return lm.name();
  }

  @Override
  public WordPieceTokenizer tokenizer() {
    return lm.tokenizer();
  }

  @Override
  public int vocabSize() {
    return lm.vocabSize();
  }

  @Override
  public int maxPositions() {
    return lm.maxPositions();
  }

  @Override
  public int clsId() {
    return lm.clsId();
  }

  @Override
  public int sepId() {
    return lm.sepId();
  }

  @Override
  public int maskId() {
    return lm.maskId();
  }

  @Override
  public synchronized float[][] logitsAt(List<int[]> sequences, int[] positions)
      throws IOException {
    batchSizes.add(sequences.size());
    return lm.logitsAt(sequences, positions);
  }
}
