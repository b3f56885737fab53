package dev.pin.policy.qnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QNetworkTest {

  @Test
  void initialisationIsXavierUniformWithTinyGainAndConstantBiases() {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TinyBackbone backbone = new TinyBackbone(m, 32, 16, 4, 1);
        QNetwork q = new QNetwork(m, backbone.head(), 64, 1e-4, -1e-4, 7)) {
      List<NDArray> theta = q.parameters();
      double bound1 = 1e-4 * Math.sqrt(6.0 / (16 + 64));
      float[] w1 = theta.get(0).toFloatArray();
      double maxAbs = 0;
      for (float w : w1) {
        maxAbs = Math.max(maxAbs, Math.abs(w));
      }
      assertTrue(maxAbs <= bound1 && maxAbs > 0.8 * bound1, "W1 within the Xavier bound");
      for (float b : theta.get(1).toFloatArray()) {
        assertEquals(-1e-4f, b);
      }
      assertEquals(2L * 16 * 64 + 64 + 16, q.trainableParameters());
      // θ̄ starts equal to θ, and the first Q is ≈ 0.
      try (NDScope scope = new NDScope()) {
        NDArray h = m.create(new float[] {0.5f, -0.5f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, -0.1f,
            -0.2f, -0.3f, -0.4f, 0.9f, -0.9f, 0f, 1f}, new Shape(1, 16));
        float[] online = q.q(h).toFloatArray();
        assertArrayEquals(online, q.qTarget(h).toFloatArray());
        for (float v : online) {
          assertTrue(Math.abs(v) < 1e-2);
        }
      }
    }
  }

  @Test
  void polyakMovesTheTargetByRho() {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        TinyBackbone backbone = new TinyBackbone(m, 32, 4, 4, 1);
        QNetwork q = new QNetwork(m, backbone.head(), 8, 1.0, 0.0, 3)) {
      NDArray b2 = q.parameters().get(3);
      b2.set(new float[] {1, 2, 3, 4}); // θ moves; θ̄ stays at 0
      try (NDScope scope = new NDScope()) {
        q.polyak(0.25); // θ̄ = 0.75·0 + 0.25·θ
        q.polyak(0.5); // θ̄ = 0.5·θ̄ + 0.5·θ = 0.625·θ
        NDArray h = m.zeros(new Shape(1, 4));
        // With h = 0 and zero biases elsewhere, MLP(h) = b2, so Q = E·b2: compare via the head.
        NDArray b2Target = m.create(new float[] {0.625f, 1.25f, 1.875f, 2.5f}, new Shape(1, 4));
        float[] expected = backbone.head().logits(b2Target).toFloatArray();
        assertArrayEquals(expected, q.qTarget(h).toFloatArray(), 1e-5f);
      }
    }
  }

  @Test
  void adamMatchesTheHandComputedFirstStepsAndClips() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray p = m.create(new float[] {1f, 1f});
      Adam adam = new Adam(m, List.of(p), 0.1, 0.9, 0.999, 1e-8, 1.0);
      try (NDScope scope = new NDScope()) {
        // g = (3, 4): ‖g‖ = 5 > 1, clipped to (0.6, 0.8)/(1 + 2e-7).
        // Step 1: m = 0.1·g, v = 0.001·g², m̂ = g, v̂ = g² → p −= 0.1·g/(|g| + 1e-8) ≈ 0.1.
        double norm = adam.step(List.of(p), List.of(m.create(new float[] {3f, 4f})));
        assertEquals(5.0, norm, 1e-6);
        assertArrayEquals(new float[] {0.9f, 0.9f}, p.toFloatArray(), 1e-6f);
        // Step 2 with g = (0.3, 0) (no clipping): m1 = 0.9·0.06 + 0.1·0.3 = 0.084,
        // v1 = 0.999·0.00036 + 0.001·0.09 = 0.00044964; m̂ = 0.084/0.19 = 0.442105,
        // v̂ = 0.00044964/0.001999 = 0.224932, step = 0.1·0.442105/0.474270 = 0.093218.
        // Coordinate 2: m = 0.9·0.08 = 0.072, v = 0.999·0.00064 = 0.00063936,
        // m̂ = 0.378947, v̂ = 0.319840, step = 0.1·0.378947/0.565544 = 0.067006.
        adam.step(List.of(p), List.of(m.create(new float[] {0.3f, 0f})));
        assertArrayEquals(new float[] {0.9f - 0.093218f, 0.9f - 0.067006f}, p.toFloatArray(),
            2e-5f);
        assertEquals(2, adam.steps());
      }
      adam.close();
    }
  }

  @Test
  void mlmHeadMatchesAPlainJavaForwardPass() {
    int d = 4;
    int vocab = 6;
    Random random = new Random(2);
    float[] dense = randoms(random, d * d);
    float[] denseBias = randoms(random, d);
    float[] gamma = randoms(random, d);
    float[] beta = randoms(random, d);
    float[] emb = randoms(random, vocab * d);
    float[] bias = randoms(random, vocab);
    float[] x = randoms(random, d);
    // Reference: y = GELU(W·x + b) (W stored [out][in]), LayerNorm, then E·y + bias.
    double[] y = new double[d];
    for (int o = 0; o < d; o++) {
      double s = denseBias[o];
      for (int i = 0; i < d; i++) {
        s += dense[o * d + i] * x[i];
      }
      y[o] = 0.5 * s * (1 + erf(s / Math.sqrt(2)));
    }
    double mean = 0;
    for (double v : y) {
      mean += v / d;
    }
    double var = 0;
    for (double v : y) {
      var += (v - mean) * (v - mean) / d;
    }
    float[] expected = new float[vocab];
    for (int v = 0; v < vocab; v++) {
      double s = bias[v];
      for (int i = 0; i < d; i++) {
        double normed = (y[i] - mean) / Math.sqrt(var + 1e-12) * gamma[i] + beta[i];
        s += emb[v * d + i] * normed;
      }
      expected[v] = (float) s;
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        MlmHead head = new MlmHead(m, dense, denseBias, gamma, beta, 1e-12f, emb, bias, vocab,
            d)) {
      float[] actual = head.logits(m.create(x, new Shape(1, d))).toFloatArray();
      assertArrayEquals(expected, actual, 1e-4f);
    }
  }

  private static float[] randoms(Random random, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian();
    }
    return a;
  }

  /** Abramowitz–Stegun 7.1.26 is too coarse here; use a series/continued fraction via erfc. */
  private static double erf(double x) {
    // Numerical Recipes erfc with Chebyshev fit, relative error < 1.2e-7.
    double z = Math.abs(x);
    double t = 1 / (1 + 0.5 * z);
    double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196
        + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398
        + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1 - ans : ans - 1;
  }
}
