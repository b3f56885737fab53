package dev.pin.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPT-2 graph on ONNX Runtime against {@link Gpt2Reference} on the tiny model. */
class Gpt2GraphTest {
  static final long SEED = 9;
  @TempDir static Path tmp;
  static ModelDir model;
  static OrtSessions sessions;
  static CausalLm lm;
  static Gpt2Reference ref;

  @BeforeAll
  static void build() throws IOException {
    model = TinyModels.gpt2Clm(tmp.resolve("tiny-gpt2"), SEED);
    sessions = new OrtSessions();
    lm = CausalLm.open(model, OrtConfig.cpu(1), sessions);
    ref = new Gpt2Reference(TinyModels.GPT2_CONFIG, TinyModels.gpt2Weights(SEED));
  }

  @AfterAll
  static void close() {
    sessions.close();
  }

  static int[] bytes(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int[] out = new int[b.length + 1];
    out[0] = 256; // <|endoftext|> as BOS
    for (int i = 0; i < b.length; i++) {
      out[i + 1] = b[i] & 0xff;
    }
    return out;
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst < 1e-4, what + ": max |diff| " + worst);
  }

  @Test
  void hiddenAndLogitsMatchTheReferenceUnderCausalAndPaddingMasks() throws IOException {
    List<int[]> batch = List.of(bytes("hi"), bytes("a longer sentence"));
    float[][][] hidden = lm.lastHiddenState(batch);
    float[][][] logits = lm.logits(batch);
    for (int s = 0; s < batch.size(); s++) {
      float[][] expected = ref.hidden(batch.get(s));
      for (int t = 0; t < expected.length; t++) {
        assertClose(expected[t], hidden[s][t], "hidden " + s + "/" + t);
        assertClose(ref.logits(expected[t]), logits[s][t], "logits " + s + "/" + t);
      }
    }
    // Causality: a prefix's states do not depend on what follows.
    float[][] prefix = lm.lastHiddenState(List.of(bytes("a long"))).clone()[0];
    assertClose(hidden[1][3], prefix[3], "prefix independence");
  }

  @Test
  void nextTokenLogitsAndLogProbsAgree() throws IOException {
    int[] ids = bytes("the movie");
    float[] next = lm.nextTokenLogits(List.of(ids))[0];
    assertClose(ref.logits(ref.hidden(ids)[ids.length - 1]), next, "next token");
    double[] lp = lm.tokenLogProbs(List.of(ids), 1).get(0);
    assertEquals(ids.length - 1, lp.length);
    float[][] h = ref.hidden(ids);
    for (int t = 1; t < ids.length; t++) {
      float[] l = ref.logits(h[t - 1]);
      double max = Double.NEGATIVE_INFINITY;
      for (float v : l) {
        max = Math.max(max, v);
      }
      double z = 0;
      for (float v : l) {
        z += Math.exp(v - max);
      }
      assertEquals(l[ids[t]] - max - Math.log(z), lp[t - 1], 1e-4);
    }
    assertClose(ref.hidden(ids)[ids.length - 1], lm.lastHidden(List.of(ids))[0], "lastHidden");
  }

  @Test
  void byteTokenizerLoadsInHuggingFaceTokenizers() throws IOException {
    try (HuggingFaceTokenizer tok = model.huggingFaceTokenizer()) {
      long[] ids = tok.encode("hi there").getIds();
      int[] expected = bytes("hi there");
      assertEquals(expected.length - 1, ids.length);
      for (int i = 0; i < ids.length; i++) {
        assertEquals(expected[i + 1], ids[i]);
      }
      assertArrayEquals(new long[] {256}, tok.encode("<|endoftext|>").getIds());
    }
  }
}
