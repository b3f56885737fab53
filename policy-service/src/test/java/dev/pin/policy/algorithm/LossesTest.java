package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.pin.v1.LmFilterConfig;
import dev.pin.v1.PinLoss;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.SqlLoss;
import dev.pin.v1.TaskType;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every §3/§4.3 loss against a hand-computed case (B = 1, T = 2, |V| = 3), plus gradient checks.
 */
class LossesTest {

  private static final double LN2 = Math.log(2);
  private static final double LN3 = Math.log(3);
  private static final double LN5 = Math.log(5);
  private static final double LN6 = Math.log(6);

  // Soft Q case, actions (0, 1), r = 2:
  //   Q_θ  row0 = (ln2, 0, 0):   V0 = ln(2+1+1) = ln4,  Q(s0,a0) = ln2, A0 = ln2 − ln4 = −ln2
  //   Q_θ  row1 = (0, ln6, 0):   V1 = ln(1+6+1) = ln8,  Q(s1,a1) = ln6, A1 = ln6 − ln8
  //   Q_θ̄ row0 = (0, 0, 0):     V̄0 = ln3
  //   Q_θ̄ row1 = (ln2, ln2, 0): V̄1 = ln(2+2+1) = ln5
  private static final float[][] SQL_Q = {{(float) LN2, 0, 0}, {0, (float) LN6, 0}};
  private static final float[][] SQL_Q_TARGET = {{0, 0, 0}, {(float) LN2, (float) LN2, 0}};

  @Test
  void softQV1() {
    // y = (V̄1, r) = (ln5, 2): (ln2 − ln5)² + (ln6 − 2)² = 0.839589 + 0.043364 = 0.882953
    double expected = sq(LN2 - LN5) + sq(LN6 - 2);
    assertEquals(0.882953, expected, 1e-6);
    assertSoftQ(SqlLoss.SQL_LOSS_V1, expected);
  }

  @Test
  void softQV2() {
    // Â0 = V̄1 − V̄0 = ln5 − ln3, Â1 = r − V̄1 = 2 − ln5
    // (−ln2 − (ln5 − ln3))² + ((ln6 − ln8) − (2 − ln5))² = (−1.203973)² + (−0.678244)²
    //   = 1.449551 + 0.460015 = 1.909566
    double a0 = -LN2;
    double a1 = LN6 - Math.log(8);
    double expected = sq(a0 - (LN5 - LN3)) + sq(a1 - (2 - LN5));
    assertEquals(1.909566, expected, 1e-6);
    assertSoftQ(SqlLoss.SQL_LOSS_V2, expected);
  }

  @Test
  void softQV3() {
    // t0: (A0 + A1 − (r − V̄0))², t1: (A1 − (r − V̄1))²
    // = (−0.693147 − 0.287682 − (2 − 1.098612))² + (−0.287682 − (2 − 1.609438))²
    // = (−1.882217)² + (−0.678244)² = 3.542741 + 0.460015 = 4.002756
    double a0 = -LN2;
    double a1 = LN6 - Math.log(8);
    double expected = sq(a0 + a1 - (2 - LN3)) + sq(a1 - (2 - LN5));
    assertEquals(4.002756, expected, 1e-6);
    assertSoftQ(SqlLoss.SQL_LOSS_V3, expected);
  }

  @Test
  void softQMixedIsHalfOfV2PlusV3() {
    double a0 = -LN2;
    double a1 = LN6 - Math.log(8);
    double v2 = sq(a0 - (LN5 - LN3)) + sq(a1 - (2 - LN5));
    double v3 = sq(a0 + a1 - (2 - LN3)) + sq(a1 - (2 - LN5));
    assertSoftQ(SqlLoss.SQL_LOSS_UNSPECIFIED, 0.5 * (v2 + v3));
    LossDiagnostics.Result r = LossDiagnostics.compute(sqlConfig(SqlLoss.SQL_LOSS_V2_V3_MIXED),
        List.of(new LossDiagnostics.Trajectory(SQL_Q, SQL_Q_TARGET, null, new int[] {0, 1}, 2f)));
    // Values are the online V: (ln4, ln8).
    assertArrayEquals(new double[] {Math.log(4), Math.log(8)}, r.values(), 1e-6);
  }

  // PIN case, actions (0, 1), r = 2, α = 1:
  //   Q_θ  row0 = (1.0, 0.8, 0.1): K = 2, τ = 0.4, spmax = ½((1 − .16) + (.64 − .16)) + ½ = 1.16
  //   Q_θ  row1 = (5, 0, 0):       K = 1, τ = 4,   spmax = ½(25 − 16) + ½ = 5
  //   Q_θ̄ row0 = (0, 0, 0):       K = 3, τ = −⅓,  spmax = ½(0 − 3/9) + ½ = ⅓
  //   Q_θ̄ row1 = (3, 0, 0):       K = 1, τ = 2,   spmax = ½(9 − 4) + ½ = 3
  //   Q(s0,a0) = 1.0, Q(s1,a1) = 0
  private static final float[][] PIN_Q = {{1.0f, 0.8f, 0.1f}, {5, 0, 0}};
  private static final float[][] PIN_Q_TARGET = {{0, 0, 0}, {3, 0, 0}};

  @Test
  void pinV1() {
    // y_t = γ^{T−1−t}·r = (2, 2): (1 − 2)² + (0 − 2)² = 5
    assertPin(PinLoss.PIN_LOSS_V1, 0, 5.0, new double[] {1.16, 5});
  }

  @Test
  void pinV2() {
    // Q̂ = (V̄1, r) = (3, 2); Â = Q̂ − V̄ = (3 − ⅓, 2 − 3) = (8/3, −1)
    // (1 − 1.16 − 8/3)² + (0 − 5 + 1)² = 7.990044 + 16 = 23.990044
    assertPin(PinLoss.PIN_LOSS_V2, 0, sq(1 - 1.16 - 8.0 / 3) + 16, new double[] {1.16, 5});
    assertEquals(23.990044, sq(1 - 1.16 - 8.0 / 3) + 16, 1e-6);
  }

  @Test
  void pinAlgorithm1() {
    // Q̂ = (0 + spmax(Q̄(s1)), r) = (3, 2): (1 − 3)² + (0 − 2)² = 8
    assertPin(PinLoss.PIN_LOSS_ALGORITHM1, 0, 8.0, new double[] {1.16, 5});
  }

  @Test
  void pinV3() {
    // t0: ((1 − 1.16) + (0 − 5) − (2 − ⅓))² = (−6.826667)² = 46.603378; t1: (−5 − (2 − 3))² = 16
    double expected = sq(1 - 1.16 - 5 - (2 - 1.0 / 3)) + 16;
    assertEquals(62.603378, expected, 1e-5);
    assertPin(PinLoss.PIN_LOSS_V3, 0, expected, new double[] {1.16, 5});
  }

  @Test
  void pinV2WithTheLmFilter() {
    // k = 2 with ℓ row0 = (3, 1, 2) keeps {0, 2}; ℓ row1 = (0, 5, 4) keeps {1, 2}.
    //   F_I[Q_θ]  row0 = (1.0, −1000, 0.1): K = 2, τ = 0.05, spmax = ½(.9975 + .0075) + ½ = 1.0025
    //   F_I[Q_θ]  row1 = (−1000, 0, 0):     K = 2, τ = −½,  spmax = ½(0 − ½) + ½ = 0.25
    //   F_I[Q_θ̄] row0 = (0, −1000, 0) → 0.25;  row1 = (−1000, 0, 0) → 0.25
    // Q̂ = (0.25, 2), Â = (0, 1.75): (1 − 1.0025 − 0)² + (0 − 0.25 − 1.75)² = 6.25e-6 + 4
    assertPin(PinLoss.PIN_LOSS_V2, 2, 4.00000625, new double[] {1.0025, 0.25});
  }

  @Test
  void softQGradientMatchesFiniteDifferences() {
    for (SoftQLearning.Loss kind : SoftQLearning.Loss.values()) {
      gradientCheck(kind.name(), (q, qt, a, r, keep) ->
          SoftQLearning.loss(kind, q, qt, a, r, null, 0.7, 0.9).loss(), false);
    }
  }

  @Test
  void pinGradientMatchesFiniteDifferences() {
    for (SparseTsallisQLearning.Loss kind : SparseTsallisQLearning.Loss.values()) {
      gradientCheck(kind.name(), (q, qt, a, r, keep) ->
          SparseTsallisQLearning.loss(kind, q, qt, keep, -1000f, a, r, 1.3, 0.95).loss(), true);
    }
  }

  @Test
  void spmaxGradientIsSparsemaxUnderAutograd() {
    Random random = new Random(9);
    double[] z = new double[4 * 17];
    for (int i = 0; i < z.length; i++) {
      z[i] = random.nextGaussian();
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray x = m.create(z, new Shape(4, 17));
      x.setRequiresGradient(true);
      NDArray spmax;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        spmax = NdSparsemax.spmax(x);
        FreedBuffers.reuseNow();
        gc.backward(spmax.sum());
      }
      double[] grad = x.getGradient().toDoubleArray();
      double[] values = spmax.toDoubleArray();
      double[] nd = NdSparsemax.sparsemax(x.stopGradient()).toDoubleArray();
      for (int r = 0; r < 4; r++) {
        double[] row = java.util.Arrays.copyOfRange(z, r * 17, (r + 1) * 17);
        assertEquals(Sparsemax.spmax(row), values[r], 1e-12);
        double[] p = Sparsemax.sparsemax(row);
        for (int i = 0; i < 17; i++) {
          assertEquals(p[i], grad[r * 17 + i], 1e-12);
          assertEquals(p[i], nd[r * 17 + i], 1e-12);
        }
      }
    }
  }

  private interface LossFn {
    NDArray apply(NDArray q, NDArray qTarget, NDArray actions, NDArray rewards, NDArray keep);
  }

  /** Autograd's ∂loss/∂Q_θ against central differences, float64, B = 2, T = 3, |V| = 5. */
  private static void gradientCheck(String name, LossFn fn, boolean withFilter) {
    int b = 2;
    int steps = 3;
    int vocab = 5;
    Random random = new Random(name.hashCode());
    double[] q = new double[b * steps * vocab];
    double[] qt = new double[q.length];
    boolean[] keep = new boolean[q.length];
    for (int i = 0; i < q.length; i++) {
      q[i] = random.nextGaussian();
      qt[i] = random.nextGaussian();
      keep[i] = !withFilter || i % vocab != 4; // filter one token per state
    }
    long[] actions = new long[b * steps];
    for (int i = 0; i < actions.length; i++) {
      actions[i] = random.nextInt(4);
    }
    double[] rewards = {1.5, -0.5};
    Shape shape = new Shape(b, steps, vocab);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray qTarget = m.create(qt, shape);
      NDArray a = m.create(actions, new Shape(b, steps));
      NDArray r = m.create(rewards);
      NDArray k = m.create(keep, shape);
      NDArray x = m.create(q, shape);
      x.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray loss = fn.apply(x, qTarget, a, r, k);
        FreedBuffers.reuseNow(); // a GC between forward and backward (Scalars)
        gc.backward(loss);
      }
      double[] grad = x.getGradient().toDoubleArray();
      double h = 1e-6;
      // Directional derivatives along random directions check every entry at once; the unit
      // directions of the first state (t = 0, where v3 sums the most terms) check single entries.
      List<double[]> directions = new java.util.ArrayList<>();
      for (int d = 0; d < 4; d++) {
        double[] u = new double[q.length];
        for (int i = 0; i < q.length; i++) {
          u[i] = random.nextGaussian();
        }
        directions.add(u);
      }
      for (int i = 0; i < vocab; i++) {
        double[] u = new double[q.length];
        u[i] = 1;
        directions.add(u);
      }
      for (double[] u : directions) {
        double[] plus = q.clone();
        double[] minus = q.clone();
        double analytic = 0;
        for (int i = 0; i < q.length; i++) {
          plus[i] += h * u[i];
          minus[i] -= h * u[i];
          analytic += grad[i] * u[i];
        }
        double lp = fn.apply(m.create(plus, shape), qTarget, a, r, k).getDouble();
        double lm = fn.apply(m.create(minus, shape), qTarget, a, r, k).getDouble();
        assertEquals((lp - lm) / (2 * h), analytic, 1e-5 * Math.max(1, Math.abs(analytic)),
            name + " directional derivative");
      }
    }
  }

  private static void assertSoftQ(SqlLoss loss, double expected) {
    LossDiagnostics.Result r = LossDiagnostics.compute(sqlConfig(loss),
        List.of(new LossDiagnostics.Trajectory(SQL_Q, SQL_Q_TARGET, null, new int[] {0, 1}, 2f)));
    assertEquals(expected, r.loss(), 1e-6);
    assertEquals(expected, r.perPromptLoss()[0], 1e-6);
  }

  private static void assertPin(PinLoss loss, int filterK, double expected, double[] values) {
    PolicyConfig config = PolicyConfig.newBuilder()
        .setSparseTsallis(SparseTsallisConfig.newBuilder().setLoss(loss)
            .setLmFilter(LmFilterConfig.newBuilder().setTopK(filterK).setDisabled(filterK == 0)))
        .build();
    float[][] logits = filterK == 0 ? null : new float[][] {{3, 1, 2}, {0, 5, 4}};
    LossDiagnostics.Trajectory tr =
        new LossDiagnostics.Trajectory(PIN_Q, PIN_Q_TARGET, logits, new int[] {0, 1}, 2f);
    // Two copies of the prompt: the batch mean equals the per-prompt loss.
    LossDiagnostics.Result r = LossDiagnostics.compute(
        PolicyHyperparameters.fromProto(config, TaskType.TASK_TYPE_CLASSIFICATION),
        List.of(tr, tr));
    assertEquals(expected, r.loss(), 1e-5);
    assertEquals(expected, r.perPromptLoss()[1], 1e-5);
    assertArrayEquals(new double[] {values[0], values[1], values[0], values[1]}, r.values(), 1e-6);
  }

  private static PolicyHyperparameters sqlConfig(SqlLoss loss) {
    return PolicyHyperparameters.fromProto(PolicyConfig.newBuilder()
        .setSoftQ(SoftQLearningConfig.newBuilder().setLoss(loss)).build(),
        TaskType.TASK_TYPE_CLASSIFICATION);
  }

  private static double sq(double x) {
    return x * x;
  }
}
