package dev.pin.policy.qnet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link OutputHead#logitsAt} reads the same numbers, and passes the same gradient, as a gather. */
class OutputHeadTest {
  private static final int V = 40;
  private static final int D = 6;

  @Test
  void rowsOfTheTiedHeadsEqualTheGatheredLogits() {
    Random r = new Random(4);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      float[] e = gauss(r, V * D);
      OutputHead[] heads = {
          new TiedLinearHead(m, e, null, V, D),
          new TiedLinearHead(m, e, gauss(r, V), V, D),
          new MlmHead(m, gauss(r, D * D), gauss(r, D), gauss(r, D), gauss(r, D), 1e-12f, e,
              gauss(r, V), V, D)};
      NDArray x = m.create(gauss(r, 3 * 2 * D), new Shape(3, 2, D));
      NDArray ids = m.create(new long[] {0, 39, 7, 7, 12, 25}, new Shape(3, 2));
      for (OutputHead head : heads) {
        float[] gathered = head.logits(x).gather(ids.expandDims(-1), -1).squeeze(-1)
            .toFloatArray();
        NDArray at = head.logitsAt(x, ids);
        assertEquals(new Shape(3, 2), at.getShape());
        float[] rows = at.toFloatArray();
        for (int i = 0; i < rows.length; i++) {
          assertEquals(gathered[i], rows[i], 1e-5, head.getClass().getSimpleName() + " " + i);
        }
        float[] viaGather = gradient(head, x, ids, false);
        float[] viaRows = gradient(head, x, ids, true);
        for (int i = 0; i < viaRows.length; i++) {
          assertEquals(viaGather[i], viaRows[i], 1e-5 * Math.max(1, Math.abs(viaGather[i])),
              "∂/∂x " + i);
        }
      }
    }
  }

  /** ∂ Σ (logit at ids)² / ∂x, through a gather of the full logits or through the rows. */
  private static float[] gradient(OutputHead head, NDArray x, NDArray ids, boolean rows) {
    NDArray input = x.duplicate();
    input.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray picked = rows ? head.logitsAt(input, ids)
          : head.logits(input).gather(ids.expandDims(-1), -1).squeeze(-1);
      collector.backward(picked.square().sum());
    }
    return input.getGradient().toFloatArray();
  }

  private static float[] gauss(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }
}
