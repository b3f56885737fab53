package dev.pin.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.RealModels;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MODELS.md's sanity check of a correct import, on the real BERT-base-uncased (skipped if absent). */
class BertBaseFillMaskTest {

  @Test
  void predictsParisAndStore() throws IOException {
    ModelDir dir = RealModels.assumeBertBase();
    try (OrtSessions sessions = new OrtSessions()) {
      FillMask fill = new FillMask(MaskedLm.open(dir, OrtConfig.cpu(2), sessions));
      List<FillMask.Prediction> paris = fill.predict("the capital of france is [MASK] .", 5);
      assertEquals("paris", paris.get(0).token(), paris.toString());
      assertTrue(paris.get(0).probability() > 0.3, paris.toString());
      List<FillMask.Prediction> store = fill.predict("i went to the [MASK] to buy some milk .", 5);
      assertEquals("store", store.get(0).token(), store.toString());
    }
  }

  /** Our WordPiece and HuggingFace's tokenizers (DJL, offline) agree on the real vocabulary. */
  @Test
  void tokenizerAgreesWithHuggingFaceOnTheRealVocabulary() throws IOException {
    ModelDir dir = RealModels.assumeBertBase();
    WordPieceTokenizer ours = dir.tokenizer();
    try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(
        dir.dir().resolve(dir.manifest().file("tokenizer")))) {
      for (String text : List.of("The capital of France is [MASK].",
          "Unaffable résumé-writers don't tokenize 12,345 emojis 🙂 easily!",
          "Zürich's naïve café, 東京 and Ελληνικά.")) {
        assertEquals(Arrays.toString(hf.encode(text).getIds()),
            Arrays.toString(ours.encode(text)), text);
      }
    }
  }
}
