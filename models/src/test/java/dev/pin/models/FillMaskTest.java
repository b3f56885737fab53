package dev.pin.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FillMaskTest {
  @TempDir Path tmp;

  @Test
  void topKIsTheSoftmaxOfTheMaskLogitsInOrder() throws IOException {
    try (OrtSessions sessions = new OrtSessions()) {
      MaskedLm lm = MaskedLm.open(TinyModels.bertMlm(tmp.resolve("tiny"), 5), OrtConfig.cpu(1),
          sessions);
      List<FillMask.Prediction> top = new FillMask(lm).predict("the capital of france is [MASK] .",
          5);
      assertEquals(5, top.size());
      int[] ids = lm.tokenizer().encode("the capital of france is [MASK] .");
      float[] logits = lm.logits(List.of(ids))[0][6];
      double max = Double.NEGATIVE_INFINITY;
      int argmax = -1;
      for (int i = 0; i < logits.length; i++) {
        if (logits[i] > max) {
          max = logits[i];
          argmax = i;
        }
      }
      double z = 0;
      for (float l : logits) {
        z += Math.exp(l - max);
      }
      assertEquals(argmax, top.get(0).id());
      assertEquals(lm.tokenizer().token(argmax), top.get(0).token());
      assertEquals(1 / z, top.get(0).probability(), 1e-5);
      for (int i = 1; i < top.size(); i++) {
        assertTrue(top.get(i - 1).probability() >= top.get(i).probability());
      }
    }
  }

  @Test
  void textMustHoldExactlyOneMask() throws IOException {
    try (OrtSessions sessions = new OrtSessions()) {
      FillMask fill = new FillMask(MaskedLm.open(TinyModels.bertMlm(tmp.resolve("t2"), 6),
          OrtConfig.cpu(1), sessions));
      assertThrows(IllegalArgumentException.class, () -> fill.predict("no mask here", 3));
      assertThrows(IllegalArgumentException.class, () -> fill.predict("[MASK] and [MASK]", 3));
    }
  }
}
