package dev.pin.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.DecodingState;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental decoding over the GPT-2 key/value cache equals the full forward: left-padded prompts
 * of different lengths, then one token per row per step.
 */
class Gpt2DecodingTest {
  static final long SEED = 17;
  @TempDir static Path tmp;
  static OrtSessions sessions;
  static CausalLm lm;
  static Gpt2Reference ref;

  @BeforeAll
  static void build() throws IOException {
    sessions = new OrtSessions();
    lm = CausalLm.open(TinyModels.gpt2Clm(tmp.resolve("tiny-gpt2"), SEED), OrtConfig.cpu(1),
        sessions);
    ref = new Gpt2Reference(TinyModels.GPT2_CONFIG, TinyModels.gpt2Weights(SEED));
  }

  @AfterAll
  static void close() {
    sessions.close();
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst < 1e-4, what + ": max |diff| " + worst);
  }

  static int[] append(int[] a, int t) {
    int[] out = Arrays.copyOf(a, a.length + 1);
    out[a.length] = t;
    return out;
  }

  @Test
  void stepsEqualTheFullForwardForRowsOfDifferentLengths() throws IOException {
    List<int[]> rows = new ArrayList<>(List.of(Gpt2GraphTest.bytes("hi"),
        Gpt2GraphTest.bytes("a longer prompt"), new int[] {256}));
    int[][] feed = {{'!', ' ', 'x', 'y'}, {'.', '.', 'z', 256}, {'a', 'b', 'c', 'd'}};
    try (DecodingState state = lm.startDecoding(rows)) {
      for (int step = 0; ; step++) {
        float[][] full = lm.nextTokenLogits(rows);
        for (int b = 0; b < rows.size(); b++) {
          float[] h = ref.hidden(rows.get(b))[rows.get(b).length - 1];
          assertClose(h, state.lastHidden()[b], "hidden row " + b + " step " + step);
          assertClose(ref.logits(h), state.nextTokenLogits()[b], "logits row " + b + " step "
              + step);
          assertClose(full[b], state.nextTokenLogits()[b], "vs full forward row " + b);
        }
        if (step == feed[0].length) {
          break;
        }
        int[] tokens = new int[rows.size()];
        for (int b = 0; b < rows.size(); b++) {
          tokens[b] = feed[b][step];
          rows.set(b, append(rows.get(b), tokens[b]));
        }
        state.step(tokens);
        assertEquals(rows.get(1).length, state.length());
      }
    }
  }

  @Test
  void selectedRowsContinueFromTheirCopiedCache() throws IOException {
    List<int[]> prompts = List.of(Gpt2GraphTest.bytes("the movie"), Gpt2GraphTest.bytes("ok"));
    try (DecodingState state = lm.startDecoding(prompts);
        DecodingState picked = state.select(new int[] {1, 0, 1})) {
      assertEquals(3, picked.batchSize());
      int[] tokens = {'a', 'b', 'c'};
      picked.step(tokens);
      int[][] expected = {append(prompts.get(1), 'a'), append(prompts.get(0), 'b'),
          append(prompts.get(1), 'c')};
      for (int b = 0; b < 3; b++) {
        float[] h = ref.hidden(expected[b])[expected[b].length - 1];
        assertClose(ref.logits(h), picked.nextTokenLogits()[b], "selected row " + b);
      }
      // The source state is untouched by the copy and still steps.
      state.step(new int[] {'!', '?'});
      float[] h = ref.hidden(append(prompts.get(0), '!'))[prompts.get(0).length];
      assertClose(ref.logits(h), state.nextTokenLogits()[0], "source after select");
    }
  }
}
