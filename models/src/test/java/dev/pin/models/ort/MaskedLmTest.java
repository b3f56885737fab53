package dev.pin.models.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pin.models.onnx.Precision;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskedLmTest {
  @TempDir static Path tmp;
  static ModelDir model;
  static OrtSessions sessions;
  static MaskedLm lm;

  @BeforeAll
  static void setUp() throws IOException {
    model = TinyModels.bertMlm(tmp.resolve("tiny"), 7);
    sessions = new OrtSessions();
    lm = MaskedLm.open(model, OrtConfig.cpu(1), sessions);
  }

  @AfterAll
  static void tearDown() {
    sessions.close();
  }

  @Test
  void paddingToBucketsDoesNotChangeResults() throws IOException {
    int[] shortSeq = lm.tokenizer().encode("the [MASK] movie");
    int[] longSeq = lm.tokenizer().encode("i love this great movie , the acting was amazing");
    float[] alone = lm.logitsAt(List.of(shortSeq), new int[] {2})[0];
    float[] batched = lm.logitsAt(List.of(longSeq, shortSeq), new int[] {3, 2})[1];
    assertArrayEquals(alone, batched, 1e-5f);
    MaskedLm unbucketed = MaskedLm.open(model, new OrtConfig("cpu", 0, 1, 1, 1, Precision.FP32), sessions);
    assertArrayEquals(alone, unbucketed.logitsAt(List.of(shortSeq), new int[] {2})[0], 1e-5f);
    assertEquals(8, lm.paddedLength(List.of(shortSeq)));
    assertEquals(16, lm.paddedLength(List.of(longSeq)));
    assertEquals(5, unbucketed.paddedLength(List.of(shortSeq)));
  }

  @Test
  void sessionsAreSharedPerModelAndConfig() throws IOException {
    assertSame(sessions.session(model.modelFile(), OrtConfig.cpu(1)),
        sessions.session(model.modelFile(), OrtConfig.cpu(1)));
  }

  @Test
  void concurrentCallersGetTheSameAnswers() throws Exception {
    int[] ids = lm.tokenizer().encode("what a [MASK] film");
    float[] expected = lm.logitsAt(List.of(ids), new int[] {3})[0];
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[]>> futures = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        futures.add(pool.submit(() -> lm.logitsAt(List.of(ids), new int[] {3})[0]));
      }
      for (Future<float[]> f : futures) {
        assertArrayEquals(expected, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void cudaRequestFallsBackToCpuWhenUnavailable() throws IOException {
    int[] ids = lm.tokenizer().encode("the [MASK]");
    MaskedLm cuda = MaskedLm.open(model, OrtConfig.cpu(1).withDevice("cuda"), sessions);
    assertArrayEquals(lm.logitsAt(List.of(ids), new int[] {2})[0],
        cuda.logitsAt(List.of(ids), new int[] {2})[0], 1e-4f);
  }

  @Test
  void pseudoLogLikelihoodMasksEachPositionInTurn() throws IOException {
    int[] ids = lm.tokenizer().encode("great movie !");
    double[] pll = lm.pseudoLogLikelihood(ids, 1, ids.length - 1);
    assertEquals(ids.length - 2, pll.length);
    for (int t = 1; t < ids.length - 1; t++) {
      int[] masked = ids.clone();
      masked[t] = lm.manifest().specialId("mask");
      float[] row = lm.logitsAt(List.of(masked), new int[] {t})[0];
      double z = 0;
      for (float v : row) {
        z += Math.exp(v);
      }
      assertEquals(row[ids[t]] - Math.log(z), pll[t - 1], 1e-4);
    }
    assertThrows(IllegalArgumentException.class, () -> lm.pseudoLogLikelihood(ids, 2, 2));
  }

  @Test
  void rejectsBadInputsWithClearMessages() {
    int[] ids = lm.tokenizer().encode("the movie");
    assertThrows(IllegalArgumentException.class,
        () -> lm.logitsAt(List.of(ids), new int[] {ids.length}));
    assertThrows(IllegalArgumentException.class,
        () -> lm.logitsAt(List.of(ids), new int[] {1, 1}));
    assertThrows(IllegalArgumentException.class,
        () -> lm.logitsAt(List.of(new int[] {2, 100000, 3}), new int[] {1}));
    assertThrows(IllegalArgumentException.class, () -> lm.lastHiddenState(List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> lm.lastHiddenState(List.of(new int[65])));
  }
}
