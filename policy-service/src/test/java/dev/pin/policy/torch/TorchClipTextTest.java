package dev.pin.policy.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.pin.models.onnx.ClipConfig;
import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.policy.algorithm.FreedBuffers;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch CLIP text tower against ONNX Runtime's {@link ClipEncoder} on the same tiny random
 * CLIP, and its input-embedding gradient against central finite differences (PEZ's image
 * inversion, ALGORITHMS.md §7.1, needs that gradient).
 */
class TorchClipTextTest {
  @TempDir Path dir;

  @Test
  void textEmbeddingsEqualOnnxRuntimes() throws Exception {
    ModelDir model = TinyModels.clip(dir.resolve("tiny-clip"), 5);
    List<String> texts = List.of("a photo of a red cat", "green dog", "of",
        "a photo of a green dog and a red cat, 42!");
    try (OrtSessions sessions = new OrtSessions();
        ClipEncoder encoder = ClipEncoder.open(model, OrtConfig.cpu(1), sessions);
        NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchClipText text = TorchClipText.load(model, manager)) {
      assertEquals(TinyModels.CLIP_CONFIG.text(), text.config(), "the spec read from the graph");
      assertEquals(TinyModels.CLIP_CONFIG.projectionDim(), text.projectionDim());
      List<int[]> ids = texts.stream().map(encoder.tokenizer()::encode).toList();
      float[][] expected = encoder.embedTokenIds(ids);
      // One right-padded batch (as ClipEncoder pads), so the padding mask is exercised too.
      Batch batch = Batch.of(manager, ids, encoder.tokenizer().endId(), text);
      float[] got = text.textEmbeds(text.embed(batch.ids), batch.mask, batch.eot).toFloatArray();
      int p = text.projectionDim();
      for (int b = 0; b < ids.size(); b++) {
        for (int j = 0; j < p; j++) {
          assertEquals(expected[b][j], got[b * p + j], 1e-4, "text " + b + " dim " + j);
        }
      }
    }
  }

  @Test
  void eotPositionFollowsTheGraphsPoolingRule() throws Exception {
    ModelDir model = TinyModels.clip(dir.resolve("tiny-clip"), 5);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchClipText text = TorchClipText.load(model, manager)) {
      int eot = text.config().eosTokenId();
      assertTrue(text.config().eosTokenId() != ClipConfig.LEGACY_EOS_TOKEN_ID);
      assertEquals(3, text.eotPosition(new int[] {eot - 1, 5, 7, eot, eot}), "the first eos");
    }
  }

  /**
   * d(1 − mean_j cos(img_j, text(x))) / dx, §7.1's image-inversion loss, against central
   * differences in float64, at prompt rows, the specials and a padded row's padding.
   */
  @Test
  void inputEmbeddingGradientMatchesFiniteDifferences() throws Exception {
    ModelDir model = TinyModels.clip(dir.resolve("tiny-clip"), 5);
    try (OrtSessions sessions = new OrtSessions();
        ClipEncoder encoder = ClipEncoder.open(model, OrtConfig.cpu(1), sessions);
        NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchClipText text = TorchClipText.load(model, manager, DataType.FLOAT64)) {
      List<int[]> ids = List.of(encoder.tokenizer().encode("a photo of a red cat"),
          encoder.tokenizer().encode("green dog"));
      Batch batch = Batch.of(manager, ids, encoder.tokenizer().endId(), text);
      int p = text.projectionDim();
      java.util.Random r = new java.util.Random(3);
      double[] images = new double[3 * p];
      for (int i = 0; i < images.length; i++) {
        images[i] = r.nextGaussian();
      }
      NDArray img = manager.create(images, new Shape(3, p));
      NDArray unitImg = img.div(img.norm(new int[] {1}, true));
      Function<NDArray, NDArray> loss = x -> {
        NDArray t = text.textEmbeds(x, batch.mask, batch.eot);
        NDArray unitT = t.div(t.norm(new int[] {1}, true));
        return unitT.matMul(unitImg.transpose()).mean().neg().add(1);
      };
      NDArray x = text.embed(batch.ids);
      assertEquals(DataType.FLOAT64, x.getDataType());
      x.setRequiresGradient(true);
      try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray l = loss.apply(x);
        FreedBuffers.reuseNow(); // a GC between forward and backward (Scalars)
        collector.backward(l);
      }
      double[] grad = x.getGradient().toDoubleArray();
      double[] base = x.toDoubleArray();
      Shape shape = x.getShape();
      long n = shape.get(1);
      int h = text.config().hiddenSize();
      int eot1 = ids.get(1).length - 1;
      // (row, position, dim): start token, prompt tokens, the end token, row 1's padding.
      int[][] coords = {{0, 0, 3}, {0, 1, 0}, {0, 3, 17}, {0, ids.get(0).length - 1, 31},
          {1, 1, 9}, {1, eot1, 4}, {1, (int) n - 1, 4}};
      assertTrue(ids.get(1).length < n, "row 1 must be padded");
      double eps = 1e-6;
      for (int[] c : coords) {
        int i = (int) ((c[0] * n + c[1]) * h + c[2]);
        double numeric = (lossAt(manager, loss, base, shape, i, eps)
            - lossAt(manager, loss, base, shape, i, -eps)) / (2 * eps);
        assertEquals(numeric, grad[i], 1e-7 + 1e-6 * Math.abs(numeric),
            "d loss / d x" + Arrays.toString(c));
        if (c[0] == 1 && c[1] > eot1) {
          assertEquals(0.0, grad[i], 0.0, "after the end token nothing reaches the pooled state");
        } else {
          assertTrue(Math.abs(grad[i]) > 1e-9, "a live coordinate has a gradient");
        }
      }
    }
  }

  private static double lossAt(NDManager manager, Function<NDArray, NDArray> loss, double[] base,
      Shape shape, int i, double delta) {
    double[] moved = base.clone();
    moved[i] += delta;
    try (NDManager scope = manager.newSubManager()) {
      return loss.apply(scope.create(moved, shape)).getDouble();
    }
  }

  /** Right-padded ids with their attention mask and end-of-text positions. */
  private record Batch(NDArray ids, NDArray mask, NDArray eot) {
    static Batch of(NDManager manager, List<int[]> seqs, int pad, TorchClipText text) {
      int n = seqs.stream().mapToInt(s -> s.length).max().orElseThrow();
      long[] ids = new long[seqs.size() * n];
      long[] mask = new long[ids.length];
      long[] eot = new long[seqs.size()];
      Arrays.fill(ids, pad);
      for (int b = 0; b < seqs.size(); b++) {
        int[] s = seqs.get(b);
        for (int t = 0; t < s.length; t++) {
          ids[b * n + t] = s[t];
          mask[b * n + t] = 1;
        }
        eot[b] = text.eotPosition(s);
      }
      return new Batch(manager.create(ids, new Shape(seqs.size(), n)),
          manager.create(mask, new Shape(seqs.size(), n)), manager.create(eot));
    }
  }
}
