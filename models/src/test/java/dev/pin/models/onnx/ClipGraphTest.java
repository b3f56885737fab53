package dev.pin.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.ClipTokenizer;
import dev.pin.models.writer.ClipModelWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both CLIP towers on ONNX Runtime against {@link ClipReference} on the tiny CLIP. */
class ClipGraphTest {
  static final long SEED = 5;
  @TempDir static Path tmp;
  static OrtSessions sessions;
  static ClipEncoder clip;
  static ClipReference ref;

  @BeforeAll
  static void build() throws IOException {
    ModelDir model = TinyModels.clip(tmp.resolve("tiny-clip"), SEED);
    sessions = new OrtSessions();
    clip = ClipEncoder.open(model, OrtConfig.cpu(1), sessions);
    ref = new ClipReference(TinyModels.CLIP_CONFIG,
        TinyModels.clipWeights(TinyModels.CLIP_CONFIG, SEED));
  }

  @AfterAll
  static void close() {
    clip.close();
    sessions.close();
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": width");
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst < 1e-4, what + ": max |diff| " + worst);
  }

  static double maxDiff(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }

  @Test
  void textEmbeddingsOfAPaddedBatchMatchTheReference() throws IOException {
    List<String> texts = List.of("a photo of a red cat", "dog",
        "a green dog, 42 times over!", "");
    float[][] got = clip.embedTexts(texts);
    assertEquals(texts.size(), got.length);
    for (int i = 0; i < texts.size(); i++) {
      int[] ids = clip.tokenizer().encode(texts.get(i));
      assertClose(ref.text(ids), got[i], "text " + i + " '" + texts.get(i) + "'");
      assertEquals(TinyModels.CLIP_CONFIG.projectionDim(), got[i].length);
    }
    assertTrue(maxDiff(got[0], got[1]) > 1e-2, "different prompts, different embeddings");
  }

  @Test
  void poolingFollowsTheConfigsEosConvention() throws IOException {
    // No end-of-text token and a large id in the middle: legacy configs (eos_token_id 2) pool at
    // the largest id (position 1), newer ones at the first eos — absent here, so position 0.
    // Eight tokens, a whole length bucket, so no <|endoftext|> padding is appended.
    int[] ids = {40, 500, 41, 42, 43, 44, 45, 46};
    float[] modern = clip.embedTokenIds(List.of(ids))[0];
    assertClose(ref.text(ids), modern, "first-eos pooling");

    ClipConfig c = TinyModels.CLIP_CONFIG;
    ClipConfig.Text t = c.text();
    ClipConfig legacy = new ClipConfig(new ClipConfig.Text(t.vocabSize(), t.hiddenSize(),
        t.intermediateSize(), t.numLayers(), t.numHeads(), t.maxPositions(), t.hiddenAct(),
        t.layerNormEps(), ClipConfig.LEGACY_EOS_TOKEN_ID), c.vision(), c.projectionDim());
    Map<String, FloatTensor> w = TinyModels.clipWeights(legacy, SEED);
    Path dir = tmp.resolve("legacy-clip");
    Files.createDirectories(dir);
    ClipTokenizer.writeTokenizerJson(dir.resolve("tokenizer.json"), TinyModels.CLIP_MERGES);
    var vocab = ClipTokenizer.vocab(TinyModels.CLIP_MERGES);
    ModelDir legacyDir = ClipModelWriter.write(dir, "legacy-clip", legacy, w::get,
        vocab.get(ClipTokenizer.START_OF_TEXT), vocab.get(ClipTokenizer.END_OF_TEXT),
        TinyModels.CLIP_PREPROCESSING, Map.of("kind", "tiny-random"));
    assertEquals("argmax-input-ids", legacyDir.manifest().source().get("text_pooling"));
    try (ClipEncoder old = ClipEncoder.open(legacyDir, OrtConfig.cpu(1), sessions)) {
      float[] argmax = old.embedTokenIds(List.of(ids))[0];
      assertClose(new ClipReference(legacy, w).text(ids), argmax, "argmax pooling");
      assertTrue(maxDiff(modern, argmax) > 1e-2, "the two conventions pool different tokens");
      // With the end-of-text token present (the largest id after the start token) both agree.
      int[] normal = clip.tokenizer().encode("a red cat");
      assertClose(clip.embedTokenIds(List.of(normal))[0], old.embedTokenIds(List.of(normal))[0],
          "same pooled token");
    }
  }

  @Test
  void imageEmbeddingsMatchTheReference() throws IOException {
    Random r = new Random(3);
    int n = TinyModels.CLIP_CONFIG.vision().imageSize();
    List<float[]> images = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      float[] px = new float[3 * n * n];
      for (int j = 0; j < px.length; j++) {
        px[j] = (float) r.nextGaussian();
      }
      images.add(px);
    }
    float[][] got = clip.embedPixels(images);
    for (int i = 0; i < images.size(); i++) {
      assertClose(ref.image(images.get(i)), got[i], "image " + i);
    }
    assertTrue(maxDiff(got[0], got[1]) > 1e-2, "different images, different embeddings");
  }
}
