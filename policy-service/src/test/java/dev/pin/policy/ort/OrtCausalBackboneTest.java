package dev.pin.policy.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The causal policy backbone (§2) on the tiny random GPT-2, against the graph's own logits. */
class OrtCausalBackboneTest {
  @TempDir Path dir;

  @Test
  void headOnTheHiddenStateIsTheModelsOwnNextTokenLogits() throws Exception {
    ModelDir model = TinyModels.gpt2Clm(dir.resolve("tiny-gpt2"), 3);
    List<int[]> prefixes = List.of(new int[] {}, new int[] {20, 31}, new int[] {40, 41, 42, 43});
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        OrtSessions sessions = new OrtSessions();
        OrtCausalBackbone backbone = OrtCausalBackbone.open(model, OrtConfig.defaults(), sessions,
            manager)) {
      assertEquals(256, backbone.startToken(), "GPT-2 states start with <|endoftext|>");
      assertArrayEquals(new int[] {256}, backbone.specialTokenIds());
      assertSame(backbone.head(), backbone.priorHead(), "a causal LM's prior is its Q head");
      float[][] h = backbone.hiddenStates(prefixes);
      for (int i = 0; i < prefixes.size(); i++) {
        int[] p = prefixes.get(i);
        int[] ids = new int[p.length + 1];
        ids[0] = 256;
        System.arraycopy(p, 0, ids, 1, p.length);
        float[] expected = backbone.lm().nextTokenLogits(List.of(ids))[0];
        float[] viaHead = backbone.priorHead().logits(manager.create(h[i])).toFloatArray();
        assertEquals(expected.length, viaHead.length);
        for (int v = 0; v < expected.length; v++) {
          assertEquals(expected[v], viaHead[v], 1e-4, "prefix " + i + ", token " + v);
        }
      }
      // No output bias: a zero MLP output gives Q = 0 exactly, so the first policy is uniform.
      NDArray zero = manager.zeros(new Shape(1, backbone.hiddenSize()));
      assertEquals(0f, backbone.head().logits(zero).abs().max().getFloat(), 0f);
      assertEquals("hi", backbone.decode(new int[] {'h', 'i'}));
    }
  }
}
