package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.policy.torch.TorchClipText;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEZ's image inversion (ALGORITHMS.md §7.1) on the tiny random CLIP: the step's loss is §7.1's
 * 1 − mean cos(img, text(P′)) of the projection as ONNX Runtime's CLIP computes it, the prompt
 * learns toward its targets, and a checkpoint restores P and AdamW exactly.
 */
class PezClipTest {
  @TempDir Path dir;
  private ModelDir model;
  private NDManager manager;
  private TorchClipText text;
  private OrtSessions sessions;
  private ClipEncoder encoder;

  @BeforeEach
  void load() throws Exception {
    model = TinyModels.clip(dir.resolve("tiny-clip"), 5);
    manager = NDManager.newBaseManager("PyTorch");
    text = TorchClipText.load(model, manager);
    sessions = new OrtSessions();
    encoder = ClipEncoder.open(model, OrtConfig.cpu(1), sessions);
  }

  @AfterEach
  void close() {
    encoder.close();
    sessions.close();
    text.close();
    manager.close();
  }

  /** Targets in CLIP's shared space: the text embeddings of two captions stand in for images. */
  private float[][] targets() throws Exception {
    return encoder.embedTexts(List.of("a red cat", "red cat photo"));
  }

  private PezClip pez(int length, float[][] targets) {
    return new PezClip(new PezHyperparameters(length, 0.1, 0.1, 0, 11), text, targets,
        encoder.tokenizer().startId(), encoder.tokenizer().endId(), new int[0], manager);
  }

  /** 1 − mean_j cos(target_j, ONNX Runtime's text_embeds of the projection). */
  private double onnxLoss(int[] idx, float[][] targets) throws Exception {
    int[] ids = new int[idx.length + 2];
    ids[0] = encoder.tokenizer().startId();
    System.arraycopy(idx, 0, ids, 1, idx.length);
    ids[ids.length - 1] = encoder.tokenizer().endId();
    float[] t = encoder.embedTokenIds(List.of(ids))[0];
    double mean = 0;
    for (float[] img : targets) {
      double dot = 0;
      double nt = 0;
      double ni = 0;
      for (int k = 0; k < t.length; k++) {
        dot += (double) t[k] * img[k];
        nt += (double) t[k] * t[k];
        ni += (double) img[k] * img[k];
      }
      mean += dot / Math.sqrt(nt * ni) / targets.length;
    }
    return 1 - mean;
  }

  @Test
  void theStepsLossIsTheProjectionsClipLossAndItLearnsTowardTheTargets() throws Exception {
    float[][] targets = targets();
    try (PezClip pez = pez(4, targets)) {
      double first = Double.NaN;
      double best = Double.POSITIVE_INFINITY;
      for (int step = 1; step <= 40; step++) {
        int[] idx = pez.sample(1, false).prompts().get(0).tokenIds();
        for (int id : idx) {
          assertTrue(id != encoder.tokenizer().startId() && id != encoder.tokenizer().endId(),
              "no special token in the prompt");
        }
        UpdateResult r = pez.update(List.of());
        assertEquals(step, r.step());
        assertTrue(r.updated() && r.gradNorm() > 0, r.toString());
        // (2)-(3) forward the projection P′ = E[idx], the prompt Sample handed out.
        assertEquals(onnxLoss(idx, targets), r.loss(), 1e-4, "step " + step);
        first = step == 1 ? r.loss() : first;
        best = Math.min(best, r.loss());
      }
      assertTrue(best < first - 0.05, "the best projection is closer to the targets: " + first
          + " -> " + best);
    }
  }

  @Test
  void aCheckpointRestoresThePromptAndAdamWExactly() throws Exception {
    float[][] targets = targets();
    ByteArrayOutputStream saved = new ByteArrayOutputStream();
    UpdateResult next;
    try (PezClip a = pez(3, targets)) {
      for (int i = 0; i < 5; i++) {
        a.update(List.of());
      }
      a.save(saved);
      next = a.update(List.of());
    }
    try (PezClip b = pez(3, targets)) {
      b.load(new ByteArrayInputStream(saved.toByteArray()));
      assertEquals(5, b.step());
      UpdateResult again = b.update(List.of());
      assertEquals(next.loss(), again.loss(), 0.0);
      assertEquals(next.gradNorm(), again.gradNorm(), 0.0);
      assertEquals(1, b.sample(1, true).prompts().get(0).sampleId(),
          "the sample-id counter is restored too (the first run sampled nothing)");
    }
  }

  @Test
  void refusesWhatImageInversionCannotTrain() throws Exception {
    float[][] targets = targets();
    int s = encoder.tokenizer().startId();
    int e = encoder.tokenizer().endId();
    assertThrows(IllegalArgumentException.class, () -> new PezClip(
        new PezHyperparameters(4, 0.1, 0.1, 0.5, 1), text, targets, s, e, new int[0], manager),
        "no fluency term");
    assertThrows(IllegalArgumentException.class, () -> new PezClip(
        PezHyperparameters.softPrompt(4, 0.1, 0.1, 1), text, targets, s, e, new int[0], manager),
        "no soft prompt");
    assertThrows(IllegalArgumentException.class, () -> new PezClip(
        new PezHyperparameters(76, 0.1, 0.1, 0, 1), text, targets, s, e, new int[0], manager),
        "L + 2 positions at most 77");
    assertThrows(IllegalArgumentException.class, () -> new PezClip(
        new PezHyperparameters(4, 0.1, 0.1, 0, 1), text, new float[0][], s, e, new int[0],
        manager), "targets");
  }
}
