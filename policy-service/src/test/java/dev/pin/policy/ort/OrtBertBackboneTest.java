package dev.pin.policy.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.MaskedHead;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both head placements against the ONNX graph's own MLM logits. */
class OrtBertBackboneTest {
  @TempDir Path dir;

  @Test
  void priorHeadsReproduceTheGraphsMaskedLmLogits() throws Exception {
    ModelDir model = TinyModels.bertMlm(dir.resolve("tiny"), 9);
    List<int[]> prefixes = List.of(new int[] {}, new int[] {20, 31}, new int[] {40, 41, 42});
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        OrtSessions sessions = new OrtSessions();
        OrtBertBackbone full = OrtBertBackbone.open(model, OrtConfig.defaults(), sessions,
            manager, MaskedHead.MASKED_HEAD_FULL);
        OrtBertBackbone tied = OrtBertBackbone.open(model, OrtConfig.defaults(), sessions,
            manager, MaskedHead.MASKED_HEAD_TIED_DECODER)) {
      MaskedLm lm = MaskedLm.open(model, OrtConfig.defaults(), sessions);
      int cls = lm.manifest().specialId("cls");
      int mask = lm.manifest().specialId("mask");
      int sep = lm.manifest().specialId("sep");
      for (int i = 0; i < prefixes.size(); i++) {
        int[] p = prefixes.get(i);
        int[] ids = new int[p.length + 3];
        ids[0] = cls;
        System.arraycopy(p, 0, ids, 1, p.length);
        ids[p.length + 1] = mask;
        ids[p.length + 2] = sep;
        float[] expected = lm.logitsAt(List.of(ids), new int[] {p.length + 1})[0];
        float[] viaFull = row(full.priorHead().logits(manager.create(
            full.hiddenStates(List.of(p)))));
        float[] viaTied = row(tied.priorHead().logits(manager.create(
            tied.hiddenStates(List.of(p)))));
        for (int v = 0; v < expected.length; v++) {
          assertEquals(expected[v], viaFull[v], 1e-3, "full head, token " + v);
          assertEquals(expected[v], viaTied[v], 1e-3, "tied decoder + bias, token " + v);
        }
      }
      // The Q head of the tied mode has no bias: a zero MLP output gives Q = 0 exactly.
      NDArray zero = manager.zeros(new ai.djl.ndarray.types.Shape(1, tied.hiddenSize()));
      assertEquals(0f, tied.head().logits(zero).abs().max().getFloat(), 0f);
      assertTrue(full.head().logits(zero).abs().max().getFloat() > 0.1f,
          "the full head's LayerNorm and bias make a zero input far from Q = 0");
    }
  }

  private static float[] row(NDArray logits) {
    return logits.toFloatArray();
  }
}
