package dev.pin.reward.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.platform.models.TinyModels;
import dev.pin.platform.models.ort.MaskedLm;
import dev.pin.platform.models.ort.OrtConfig;
import dev.pin.platform.models.ort.OrtSessions;
import dev.pin.platform.models.store.ModelDir;
import dev.pin.platform.models.store.ModelStore;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.classification.PromptTemplate;
import dev.pin.reward.classification.Verbalizers;
import dev.pin.v1.ModelRef;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog's ONNX Runtime models on tiny random encoders in a temporary store. */
class OrtModelCatalogTest {
  static final String G = "\u0120"; // Ġ
  @TempDir static Path home;
  static ModelStore store;
  static OrtModelCatalog catalog;
  static ModelDir roberta;

  @BeforeAll
  static void build() throws IOException {
    store = new ModelStore(home);
    roberta = TinyModels.robertaMlm(store.dir("tiny-roberta"), 3);
    catalog = new OrtModelCatalog(store, OrtConfig.cpu(1));
  }

  @AfterAll
  static void close() {
    catalog.close();
  }

  static ModelRef ref(String name) {
    return ModelRef.newBuilder().setName(name).build();
  }

  @Test
  void robertaIsAMaskedTaskModelWithLeadingSpaceVerbalizers() throws IOException {
    TaskLanguageModel lm = catalog.languageModel(ref("tiny-roberta")).orElseThrow();
    assertTrue(lm.isMasked());
    assertEquals("<mask>", lm.tokenizer().maskToken().orElseThrow());
    // §6.1: the template "{x} {prompt} {mask} ." puts a space before the label word, so the
    // verbalizers are the Ġ-forms of the words.
    PromptTemplate template = PromptTemplate.parse("{sentence} {prompt} {mask} .");
    boolean space = template.labelWordFollowsSpace(true);
    assertTrue(space);
    Verbalizers.Resolution r = Verbalizers.resolve(List.of("terrible", "great"), lm.tokenizer(),
        space, "tiny-roberta");
    assertTrue(r.ok(), r.problems().toString());
    assertEquals(List.of(G + "terrible", G + "great"), r.tokens());
    Verbalizers.Resolution bad = Verbalizers.resolve(List.of("okay", "great"), lm.tokenizer(),
        space, "tiny-roberta");
    assertFalse(bad.ok(), "okay is not one token of the tiny vocabulary");

    String text = "the movie was fun it was <mask> .";
    float[][] got = lm.logitsAt(List.of(text, "bad film <mask> ."), r.ids());
    try (OrtSessions sessions = new OrtSessions()) {
      MaskedLm direct = MaskedLm.open(roberta, OrtConfig.cpu(1), sessions);
      int[] ids = direct.textTokenizer().encode(text);
      int mask = -1;
      for (int t = 0; t < ids.length; t++) {
        mask = ids[t] == roberta.manifest().specialId("mask") ? t : mask;
      }
      float[] full = direct.logitsAt(List.of(ids), new int[] {mask})[0];
      assertArrayEquals(new float[] {full[r.ids()[0]], full[r.ids()[1]]}, got[0], 1e-5f);
    }
  }
}
