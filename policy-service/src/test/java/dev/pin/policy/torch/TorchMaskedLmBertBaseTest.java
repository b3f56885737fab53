package dev.pin.policy.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.RealModels;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * MODELS.md's fill-mask sanity check on the real BERT-base-uncased rebuilt in PyTorch, and its
 * logits against the float32 ONNX graph's and a float64 evaluation of the same weights (skipped
 * when the model is not in the store).
 */
class TorchMaskedLmBertBaseTest {

  @Test
  void fillsParisAndStoreWithTheOnnxGraphsLogits() throws Exception {
    ModelDir dir = RealModels.assumeBertBase();
    WordPieceTokenizer tok = dir.tokenizer();
    List<int[]> seqs = List.of(tok.encode("the capital of france is [MASK] ."),
        tok.encode("i went to the [MASK] to buy some milk ."));
    float[][][] expected;
    try (OrtSessions sessions = new OrtSessions()) {
      expected = MaskedLm.open(dir, OrtConfig.cpu(2), sessions).logits(seqs);
    }
    int maskId = dir.manifest().specialId("mask");
    int pad = dir.manifest().specialId("pad");
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchMaskedLm lm = TorchMaskedLm.load(dir, manager)) {
      int n = Math.max(seqs.get(0).length, seqs.get(1).length);
      long[] ids = new long[2 * n];
      long[] mask = new long[2 * n];
      Arrays.fill(ids, pad);
      for (int b = 0; b < 2; b++) {
        for (int t = 0; t < seqs.get(b).length; t++) {
          ids[b * n + t] = seqs.get(b)[t];
          mask[b * n + t] = 1;
        }
      }
      Shape shape = new Shape(2, n);
      NDArray x = lm.embed(manager.create(ids, shape));
      float[] logits = lm.logits(x, manager.create(mask, shape), null).toFloatArray();
      double[] exact;
      try (TorchMaskedLm lm64 = TorchMaskedLm.load(dir, manager, DataType.FLOAT64)) {
        exact = lm64.logits(lm64.embed(manager.create(ids, shape)), manager.create(mask, shape),
            null).toDoubleArray();
      }
      int vocab = lm.config().vocabSize();
      double vsOrt = 0;
      double vsExact = 0;
      double ortVsExact = 0;
      double vsOrtAtMask = 0;
      String[] golden = {"paris", "store"};
      for (int b = 0; b < 2; b++) {
        int[] seq = seqs.get(b);
        for (int t = 0; t < seq.length; t++) {
          int row = (b * n + t) * vocab;
          int best = 0;
          for (int v = 0; v < vocab; v++) {
            float got = logits[row + v];
            vsOrt = Math.max(vsOrt, Math.abs(got - expected[b][t][v]));
            vsExact = Math.max(vsExact, Math.abs(got - exact[row + v]));
            ortVsExact = Math.max(ortVsExact, Math.abs(expected[b][t][v] - exact[row + v]));
            if (got > logits[row + best]) {
              best = v;
            }
          }
          if (seq[t] == maskId) {
            assertEquals(golden[b], tok.token(best));
            for (int v = 0; v < vocab; v++) {
              vsOrtAtMask = Math.max(vsOrtAtMask,
                  Math.abs(logits[row + v] - expected[b][t][v]));
            }
          }
        }
      }
      System.out.printf(Locale.ROOT, "BERT-base max |logit difference|: PyTorch fp32 vs ONNX "
          + "Runtime fp32 %.2e (at the masks, the fill-mask logits: %.2e), vs PyTorch fp64 %.2e;"
          + " ONNX Runtime fp32 vs PyTorch fp64 %.2e%n", vsOrt, vsOrtAtMask, vsExact, ortVsExact);
      // Both fp32 evaluations round differently over 12 layers, logits up to ~25: measured
      // (2 December 2026) this model is 1.7e-5 from the float64 evaluation of the same weights,
      // ONNX Runtime's fused kernels 1.07e-4, and the two 1.09e-4 apart. So the tight bound is
      // against float64, and ORT gets twice its own rounding.
      assertTrue(vsExact < 1e-4, "PyTorch fp32 vs fp64: " + vsExact);
      assertTrue(vsOrt < 2e-4, "PyTorch vs ONNX Runtime: " + vsOrt);
      // Issue #14's bound on the golden sentences' fill-mask logits (every vocabulary entry at
      // [MASK]). The graph run unfused (ORT's optimiser off) is no closer: 1.37e-4 over all
      // positions, measured 3 December 2026; the gap is fp32 rounding on both sides.
      assertTrue(vsOrtAtMask < 1e-4, "PyTorch vs ONNX Runtime at [MASK]: " + vsOrtAtMask);
    }
  }
}
