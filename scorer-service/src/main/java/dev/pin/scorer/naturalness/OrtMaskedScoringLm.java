package dev.pin.scorer.naturalness;

import dev.pin.models.ort.MaskedLm;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.List;

/** {@link MaskedScoringLm} over the platform's ONNX Runtime BERT masked LM. */
public final class OrtMaskedScoringLm implements MaskedScoringLm {
  private final MaskedLm lm;
  private final int cls;
  private final int sep;
  private final int mask;

  /** Wraps an open masked LM. */
  public OrtMaskedScoringLm(MaskedLm lm) {
    this.lm = lm;
    this.cls = lm.manifest().specialId("cls");
    this.sep = lm.manifest().specialId("sep");
    this.mask = lm.manifest().specialId("mask");
  }

  @Override
  public String name() {
    return lm.model().name();
  }

  @Override
  public WordPieceTokenizer tokenizer() {
    return lm.tokenizer();
  }

  @Override
  public int vocabSize() {
    return lm.manifest().vocabSize();
  }

  @Override
  public int maxPositions() {
    return lm.manifest().maxPositions();
  }

  @Override
  public int clsId() {
    return cls;
  }

  @Override
  public int sepId() {
    return sep;
  }

  @Override
  public int maskId() {
    return mask;
  }

  @Override
  public float[][] logitsAt(List<int[]> sequences, int[] positions) throws IOException {
    return lm.logitsAt(sequences, positions);
  }
}
