package dev.pin.policy.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.policy.algorithm.FreedBuffers;
import dev.pin.policy.algorithm.Scalars;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch BERT against the ONNX graph built from the same weights, and its input-embedding
 * gradient against central finite differences (ALGORITHMS.md §7.1 needs that gradient), on the
 * tiny random models.
 */
class TorchMaskedLmTest {
  @TempDir Path dir;

  @Test
  void bertLogitsEqualTheOnnxGraphs() throws Exception {
    ModelDir model = TinyModels.bertMlm(dir.resolve("tiny-bert"), 7);
    List<int[]> seqs = new ArrayList<>();
    seqs.add(model.tokenizer().encode("the capital of france is [MASK] ."));
    seqs.addAll(randomSequences(model, new int[] {3, 17, 9}, 5, 11));
    assertMatchesOnnx(model, seqs);
  }

  @Test
  void robertaLogitsEqualTheOnnxGraphs() throws Exception {
    ModelDir model = TinyModels.robertaMlm(dir.resolve("tiny-roberta"), 7);
    int pad = model.manifest().specialId("pad");
    assertMatchesOnnx(model, randomSequences(model, new int[] {12, 4, 20}, pad + 3, 5));
  }

  /** Full logits, logits at positions and at a vocabulary subset all equal ORT's full logits. */
  private static void assertMatchesOnnx(ModelDir model, List<int[]> seqs) throws Exception {
    float[][][] expected;
    try (OrtSessions sessions = new OrtSessions()) {
      expected = MaskedLm.open(model, OrtConfig.cpu(1), sessions).logits(seqs);
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchMaskedLm lm = TorchMaskedLm.load(model, manager)) {
      Batch batch = Batch.of(manager, seqs, model.manifest().specialId("pad"));
      NDArray x = lm.embed(batch.ids);
      int vocab = lm.config().vocabSize();
      float[] all = lm.logits(x, batch.mask, null).toFloatArray();
      long n = batch.ids.getShape().get(1);
      // Each row's last token and its first, through the positions path.
      long[] pos = new long[seqs.size() * 2];
      for (int b = 0; b < seqs.size(); b++) {
        pos[2 * b] = seqs.get(b).length - 1;
      }
      float[] at = lm.logitsAt(x, batch.mask, null,
          manager.create(pos, new Shape(seqs.size(), 2))).toFloatArray();
      long[] subset = {7, 3, vocab - 1};
      float[] sub = lm.logitsAt(x, batch.mask, null,
          manager.create(pos, new Shape(seqs.size(), 2)), manager.create(subset)).toFloatArray();
      for (int b = 0; b < seqs.size(); b++) {
        for (int t = 0; t < seqs.get(b).length; t++) {
          for (int v = 0; v < vocab; v++) {
            assertEquals(expected[b][t][v], all[(int) ((b * n + t) * vocab + v)], 1e-4,
                "row " + b + " position " + t + " token " + v);
          }
        }
        for (int j = 0; j < 2; j++) {
          int t = (int) pos[2 * b + j];
          for (int v = 0; v < vocab; v++) {
            assertEquals(expected[b][t][v], at[(2 * b + j) * vocab + v], 1e-4);
          }
          for (int s = 0; s < subset.length; s++) {
            assertEquals(expected[b][t][(int) subset[s]], sub[(2 * b + j) * subset.length + s],
                1e-4);
          }
        }
      }
    }
  }

  /**
   * d loss / d input embeddings by autograd equals central differences, in float64: the loss is
   * §7.1's LM variant, cross-entropy over two verbalizer tokens' logits at [MASK].
   */
  @Test
  void inputEmbeddingGradientMatchesFiniteDifferences() throws Exception {
    ModelDir model = TinyModels.bertMlm(dir.resolve("tiny-bert"), 7);
    List<int[]> seqs = List.of(model.tokenizer().encode("great movie ! it was [MASK] ."),
        model.tokenizer().encode("boring plot . [MASK]"));
    int maskId = model.manifest().specialId("mask");
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchMaskedLm lm = TorchMaskedLm.load(model, manager, DataType.FLOAT64)) {
      Batch batch = Batch.of(manager, seqs, model.manifest().specialId("pad"));
      long[] maskAt = new long[seqs.size()];
      for (int b = 0; b < seqs.size(); b++) {
        maskAt[b] = indexOf(seqs.get(b), maskId);
      }
      NDArray positions = manager.create(maskAt, new Shape(seqs.size(), 1));
      List<String> vocab = TinyModels.vocab();
      NDArray verbalizers = manager.create(new long[] {vocab.indexOf("good"),
          vocab.indexOf("bad")});
      // Row 0 is "good", row 1 "bad": one-hot over the two verbalizers.
      NDArray target = manager.create(new double[] {1, 0, 0, 1}, new Shape(2, 1, 2));
      Loss loss = x -> Scalars.dividedBy(lm.logitsAt(x, batch.mask, null, positions, verbalizers)
          .logSoftmax(-1).mul(target).sum().neg(), seqs.size());

      NDArray x = lm.embed(batch.ids);
      assertEquals(DataType.FLOAT64, x.getDataType());
      x.setRequiresGradient(true);
      try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray l = loss.of(x);
        FreedBuffers.reuseNow(); // a GC between forward and backward (Scalars)
        collector.backward(l);
      }
      double[] grad = x.getGradient().toDoubleArray();
      double[] base = x.toDoubleArray();
      Shape shape = x.getShape();
      long n = shape.get(1);
      int h = lm.config().hiddenSize();
      // (row, position, dim): the masks, ordinary tokens, [CLS], and row 1's padding.
      int[][] coords = {{0, (int) maskAt[0], 0}, {0, (int) maskAt[0], 17}, {0, 1, 5},
          {0, 0, 31}, {1, 2, 9}, {1, (int) maskAt[1], 3}, {1, (int) n - 1, 4}};
      assertTrue(seqs.get(1).length < n, "row 1 must be padded");
      double eps = 1e-6;
      for (int[] c : coords) {
        int i = (int) ((c[0] * n + c[1]) * h + c[2]);
        double numeric = (lossAt(manager, loss, base, shape, i, eps)
            - lossAt(manager, loss, base, shape, i, -eps)) / (2 * eps);
        assertEquals(numeric, grad[i], 1e-7 + 1e-6 * Math.abs(numeric),
            "d loss / d x" + Arrays.toString(c));
        if (c[0] == 1 && c[1] >= seqs.get(1).length) {
          assertEquals(0.0, grad[i], 0.0, "padding is masked out of attention");
        } else {
          assertTrue(Math.abs(grad[i]) > 1e-8, "a live coordinate has a gradient");
        }
      }
    }
  }

  /** Forwards and backwards free their intermediates; only inputs and results stay. */
  @Test
  void repeatedForwardsLeaveNoArraysBehind() throws Exception {
    ModelDir model = TinyModels.bertMlm(dir.resolve("tiny-bert"), 7);
    List<int[]> seqs = randomSequences(model, new int[] {6, 10}, 5, 3);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchMaskedLm lm = TorchMaskedLm.load(model, manager)) {
      int weights = manager.getManagedArrays().size();
      for (int i = 0; i < 3; i++) {
        try (NDManager step = manager.newSubManager()) {
          Batch batch = Batch.of(step, seqs, 0);
          NDArray positions = step.create(new long[] {1, 2}, new Shape(2, 1));
          NDArray x = lm.embed(batch.ids);
          assertSame(step, x.getManager());
          x.setRequiresGradient(true);
          NDArray logits;
          try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            logits = lm.logitsAt(x, batch.mask, null, positions);
            collector.backward(logits.sum());
          }
          assertSame(step, logits.getManager());
          NDArray all = lm.logits(x.stopGradient(), batch.mask, null);
          // ids, mask, positions, x, logits, stopGradient's view, all logits (+ the gradient
          // array and backward's seed while they are alive).
          assertTrue(step.getManagedArrays().size() <= 9, step.getManagedArrays().size()
              + " arrays: " + step.getManagedArrays());
          assertEquals(new Shape(2, 10, lm.config().vocabSize()), all.getShape());
        }
        assertEquals(weights, manager.getManagedArrays().size());
      }
    }
  }

  @FunctionalInterface
  private interface Loss {
    NDArray of(NDArray inputEmbeddings);
  }

  private static double lossAt(NDManager manager, Loss loss, double[] base, Shape shape, int i,
      double delta) {
    double[] moved = base.clone();
    moved[i] += delta;
    try (NDManager scope = manager.newSubManager()) {
      return loss.of(scope.create(moved, shape)).getDouble();
    }
  }

  /** Right-padded ids and the attention mask, int64 [batch, longest]. */
  private record Batch(NDArray ids, NDArray mask) {
    static Batch of(NDManager manager, List<int[]> seqs, int pad) {
      int n = seqs.stream().mapToInt(s -> s.length).max().orElseThrow();
      long[] ids = new long[seqs.size() * n];
      long[] mask = new long[ids.length];
      Arrays.fill(ids, pad);
      for (int b = 0; b < seqs.size(); b++) {
        for (int t = 0; t < seqs.get(b).length; t++) {
          ids[b * n + t] = seqs.get(b)[t];
          mask[b * n + t] = 1;
        }
      }
      Shape shape = new Shape(seqs.size(), n);
      return new Batch(manager.create(ids, shape), manager.create(mask, shape));
    }
  }

  /** Random ids in {@code [from, vocab)} of the given lengths. */
  private static List<int[]> randomSequences(ModelDir model, int[] lengths, int from, long seed) {
    Random r = new Random(seed);
    int vocab = model.manifest().vocabSize();
    List<int[]> out = new ArrayList<>();
    for (int len : lengths) {
      out.add(r.ints(len, from, vocab).toArray());
    }
    return out;
  }

  private static int indexOf(int[] ids, int id) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == id) {
        return i;
      }
    }
    throw new IllegalArgumentException("no " + id);
  }
}
