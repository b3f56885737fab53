package dev.pin.policy.qnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Adam} against torch.optim.Adam's and torch.optim.AdamW's update rules written out in
 * float64: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p·(1 − lr·λ) (AdamW only), p ← p −
 * lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε); and its state through write/read and restore.
 */
class AdamTest {
  private static final double LR = 0.1;
  private static final double B1 = 0.9;
  private static final double B2 = 0.999;
  private static final double EPS = 1e-8;

  /** Three steps of the rule on {@code p} with gradients {@code grads}, in float64. */
  private static double[] reference(double[] p, double[][] grads, double decay) {
    double[] x = p.clone();
    double[] m = new double[p.length];
    double[] v = new double[p.length];
    for (int t = 1; t <= grads.length; t++) {
      double[] g = grads[t - 1];
      for (int i = 0; i < x.length; i++) {
        x[i] *= 1 - LR * decay;
        m[i] = B1 * m[i] + (1 - B1) * g[i];
        v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
        double denominator = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(B2, t)) + EPS;
        x[i] -= LR / (1 - Math.pow(B1, t)) * m[i] / denominator;
      }
    }
    return x;
  }

  private static final float[] START = {0.5f, -1.25f, 2f, 0.01f};
  private static final double[][] GRADS = {
      {0.3, -0.2, 1.5, 0}, {-0.1, -0.4, 0.5, 2}, {0.05, 0.6, -1, 0.2}};

  private static float[] run(double decay) {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray p = manager.create(START, new Shape(2, 2));
      try (Adam adam = new Adam(manager, List.of(p), LR, B1, B2, EPS, 0, decay)) {
        for (double[] g : GRADS) {
          float[] gf = new float[g.length];
          for (int i = 0; i < g.length; i++) {
            gf[i] = (float) g[i];
          }
          try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            adam.step(List.of(p), List.of(manager.create(gf, new Shape(2, 2))));
          }
        }
        assertEquals(GRADS.length, adam.steps());
      }
      return p.toFloatArray();
    }
  }

  private static float[] floats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  private static double[] doubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  @Test
  void withoutDecayItIsAdam() {
    assertArrayEquals(floats(reference(doubles(START), GRADS, 0)), run(0), 1e-5f);
  }

  @Test
  void withDecayItIsAdamWsDecoupledDecayBeforeTheStep() {
    float[] adamW = run(0.5);
    assertArrayEquals(floats(reference(doubles(START), GRADS, 0.5)), adamW, 1e-5f);
    // Not L2 regularisation folded into the gradient: that would be a different point.
    assertEquals(false, java.util.Arrays.equals(adamW, run(0)));
  }

  @Test
  void itsStateSurvivesWriteReadAndRestore() throws Exception {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray p = manager.create(START, new Shape(2, 2));
      NDArray g = manager.create(floats(GRADS[0]), new Shape(2, 2));
      try (Adam a = new Adam(manager, List.of(p), LR, B1, B2, EPS, 0, 0.1);
          Adam b = new Adam(manager, List.of(p), LR, B1, B2, EPS, 0, 0.1);
          Adam c = new Adam(manager, List.of(p), LR, B1, B2, EPS, 0, 0.1)) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          a.step(List.of(p), List.of(g));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        a.write(new DataOutputStream(bytes));
        b.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        c.restore(a.steps(), List.of(a.firstMoment(0)), List.of(a.secondMoment(0)));
        for (Adam restored : List.of(b, c)) {
          assertEquals(1, restored.steps());
          assertArrayEquals(a.firstMoment(0), restored.firstMoment(0), 0f);
          assertArrayEquals(a.secondMoment(0), restored.secondMoment(0), 0f);
        }
      }
      assertThrows(IllegalArgumentException.class,
          () -> new Adam(manager, List.of(p), LR, B1, B2, EPS, 0, -1));
      assertThrows(IllegalArgumentException.class,
          () -> new Adam(manager, List.of(p), LR, B1, B2, EPS, 0, 10));
    }
  }
}
