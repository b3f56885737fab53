package dev.pin.models.onnx;

import static dev.pin.models.onnx.Gpt2DecodingTest.append;
import static dev.pin.models.onnx.Gpt2DecodingTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.DecodingState;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The OPT graph on ONNX Runtime against {@link OptReference}, in both layouts (pre-LN as
 * opt-125m; post-LN with project_in/out as opt-350m): full forward under padding, and incremental
 * decoding over the cache.
 */
class OptGraphTest {
  @TempDir static Path tmp;
  static OrtSessions sessions;

  @BeforeAll
  static void open() {
    sessions = new OrtSessions();
  }

  @AfterAll
  static void close() {
    sessions.close();
  }

  static OptConfig config(boolean opt350) {
    return opt350 ? TinyModels.OPT_350M_STYLE_CONFIG : TinyModels.OPT_CONFIG;
  }

  /** {@code </s>} (2) then the bytes of {@code s} (id = byte + 4), as HF's OPT tokenizer. */
  static int[] ids(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int[] out = new int[b.length + 1];
    out[0] = 2;
    for (int i = 0; i < b.length; i++) {
      out[i + 1] = (b[i] & 0xff) + 4;
    }
    return out;
  }

  @ParameterizedTest(name = "opt-350m layout: {0}")
  @ValueSource(booleans = {false, true})
  void fullForwardMatchesTheReferenceUnderPadding(boolean opt350) throws IOException {
    long seed = opt350 ? 5 : 6;
    ModelDir dir = TinyModels.optClm(tmp.resolve("opt-full-" + opt350), seed, config(opt350));
    CausalLm lm = CausalLm.open(dir, OrtConfig.cpu(1), sessions);
    OptReference ref = new OptReference(config(opt350), TinyModels.optWeights(config(opt350),
        seed));
    assertEquals(config(opt350).wordEmbedProjDim(), lm.manifest().hiddenSize());
    assertEquals(2, lm.manifest().specialId("bos"));
    assertTrue(lm.prependsBos());
    List<int[]> batch = List.of(ids("hi"), ids("a longer sentence"));
    float[][][] hidden = lm.lastHiddenState(batch);
    float[][][] logits = lm.logits(batch);
    for (int s = 0; s < batch.size(); s++) {
      float[][] expected = ref.hidden(batch.get(s));
      for (int t = 0; t < expected.length; t++) {
        assertClose(expected[t], hidden[s][t], "hidden " + s + "/" + t);
        assertClose(ref.logits(expected[t]), logits[s][t], "logits " + s + "/" + t);
      }
    }
  }

  @ParameterizedTest(name = "opt-350m layout: {0}")
  @ValueSource(booleans = {false, true})
  void incrementalDecodingMatchesTheReference(boolean opt350) throws IOException {
    long seed = opt350 ? 7 : 8;
    ModelDir dir = TinyModels.optClm(tmp.resolve("opt-inc-" + opt350), seed, config(opt350));
    CausalLm lm = CausalLm.open(dir, OrtConfig.cpu(1), sessions);
    OptReference ref = new OptReference(config(opt350), TinyModels.optWeights(config(opt350),
        seed));
    List<int[]> rows = new ArrayList<>(List.of(ids("the food was"), ids("ok"), new int[] {2}));
    try (DecodingState state = lm.startDecoding(rows)) {
      for (int step = 0; step < 4; step++) {
        for (int b = 0; b < rows.size(); b++) {
          float[] h = ref.hidden(rows.get(b))[rows.get(b).length - 1];
          assertClose(h, state.lastHidden()[b], "hidden row " + b + " step " + step);
          assertClose(ref.logits(h), state.nextTokenLogits()[b], "logits row " + b + " step "
              + step);
        }
        int[] tokens = {40 + step, 50 + step, 60 + step};
        for (int b = 0; b < rows.size(); b++) {
          rows.set(b, append(rows.get(b), tokens[b]));
        }
        state.step(tokens);
      }
    }
  }

  @org.junit.jupiter.api.Test
  void tokenizerHasOptSpecialIdsAndByteOffsets() throws IOException {
    ModelDir dir = TinyModels.optClm(tmp.resolve("opt-tok"), 1, TinyModels.OPT_CONFIG);
    try (HuggingFaceTokenizer tok = dir.huggingFaceTokenizer()) {
      long[] got = tok.encode("hi").getIds();
      assertArrayEquals(new long[] {'h' + 4, 'i' + 4}, got);
      assertArrayEquals(new long[] {2}, tok.encode("</s>").getIds());
      assertEquals("hi", tok.decode(new long[] {2, 'h' + 4, 'i' + 4}, true));
    }
  }
}
