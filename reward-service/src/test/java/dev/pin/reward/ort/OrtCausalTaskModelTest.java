package dev.pin.reward.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.v1.ModelRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Causal task LMs for classification (§6.1, causal variant) from {@link
 * OrtModelCatalog#languageModel}: next-token logits at the last position of {@code "{x}
 * {prompt}"}, with OPT's {@code </s>} in front, and the byte-level leading-space convention.
 */
class OrtCausalTaskModelTest {
  @TempDir static Path home;
  static OrtModelCatalog catalog;

  @BeforeAll
  static void store() throws IOException {
    TinyModels.gpt2Clm(home.resolve("tiny-gpt2"), 31);
    TinyModels.optClm(home.resolve("tiny-opt"), 32, TinyModels.OPT_CONFIG);
    catalog = new OrtModelCatalog(new ModelStore(home), OrtConfig.cpu(1));
  }

  @AfterAll
  static void close() {
    catalog.close();
  }

  static TaskLanguageModel model(String name) {
    return catalog.languageModel(ModelRef.newBuilder().setName(name).build()).orElseThrow();
  }

  /** The model's own ids of {@code text}: bytes (+4 for OPT, after its </s>). */
  static int[] ids(String name, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    boolean opt = name.contains("opt");
    int[] out = new int[b.length + (opt ? 1 : 0)];
    if (opt) {
      out[0] = 2;
    }
    for (int i = 0; i < b.length; i++) {
      out[i + (opt ? 1 : 0)] = (b[i] & 0xff) + (opt ? 4 : 0);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-gpt2", "tiny-opt"})
  void readsNextTokenLogitsAtTheLastPosition(String name) throws IOException {
    TaskLanguageModel tm = model(name);
    assertFalse(tm.isMasked());
    CausalLm lm = CausalLm.open(new ModelStore(home).require(name), OrtConfig.cpu(1));
    int[] verbalizers = {ids(name, "a")[ids(name, "a").length - 1],
        ids(name, "b")[ids(name, "b").length - 1]};
    List<String> texts = List.of("the movie was good it was", "bad");
    float[][] got = tm.logitsAt(texts, verbalizers);
    for (int i = 0; i < texts.size(); i++) {
      float[] full = lm.nextTokenLogits(List.of(ids(name, texts.get(i))))[0];
      assertArrayEquals(new float[] {full[verbalizers[0]], full[verbalizers[1]]}, got[i], 1e-5f);
    }
    // A text longer than the model's 64 positions keeps its end (and OPT its </s>).
    String longText = "x".repeat(100) + " the end";
    int[] all = ids(name, longText);
    int keep = name.contains("opt") ? 1 : 0;
    int[] cut = new int[64];
    System.arraycopy(all, 0, cut, 0, keep);
    System.arraycopy(all, all.length - (64 - keep), cut, keep, 64 - keep);
    float[] full = lm.nextTokenLogits(List.of(cut))[0];
    assertArrayEquals(new float[] {full[verbalizers[0]], full[verbalizers[1]]},
        tm.logitsAt(List.of(longText), verbalizers)[0], 1e-5f);
  }

  @Test
  void tokenizerFollowsTheLeadingSpaceConvention() {
    var tok = model("tiny-gpt2").tokenizer();
    assertEquals(List.of("Ġ", "g", "o"), tok.tokenize(" go"));
    assertEquals(List.of("g", "o"), tok.tokenize("go"));
    assertEquals(32, tok.tokenToId("Ġ").getAsInt());
    assertEquals(0, tok.specialTokenCount());
    assertEquals(1, model("tiny-opt").tokenizer().specialTokenCount());
    assertEquals("go!", model("tiny-opt").tokenizer().decode(new int[] {2, 'g' + 4, 'o' + 4,
        '!' + 4}));
    assertEquals(Arrays.toString(new int[] {'g' + 4, 'o' + 4}),
        Arrays.toString(model("tiny-opt").tokenizer().encode("go")));
  }
}
