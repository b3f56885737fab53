package dev.pin.models.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.onnx.ClipConfig;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.ClipTokenizer;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny CLIPModel in HuggingFace's layout, written here, imported, run. */
class HfClipImporterTest {
  static final String PREPROCESSOR = "{\"crop_size\": {\"height\": 16, \"width\": 16},"
      + " \"do_center_crop\": true, \"do_convert_rgb\": true, \"do_normalize\": true,"
      + " \"do_rescale\": true, \"do_resize\": true, \"image_mean\": [0.5, 0.25, 0.125],"
      + " \"image_processor_type\": \"CLIPImageProcessor\", \"image_std\": [0.2, 0.3, 0.4],"
      + " \"resample\": 3, \"rescale_factor\": 0.00392156862745098,"
      + " \"size\": {\"shortest_edge\": 16}}";

  @TempDir Path tmp;

  static Path writeCheckpoint(Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object[]> t = new LinkedHashMap<>();
    for (Map.Entry<String, FloatTensor> e
        : TinyModels.clipWeights(TinyModels.CLIP_CONFIG, seed).entrySet()) {
      t.put(e.getKey(), new Object[] {"F32", e.getValue().shape(),
          HfBertImporterTest.f32(e.getValue().toFloats())});
    }
    HfBertImporterTest.writeSafetensors(dir.resolve("model.safetensors"), t);
    ClipConfig.Text x = TinyModels.CLIP_CONFIG.text();
    ClipConfig.Vision v = TinyModels.CLIP_CONFIG.vision();
    // As transformers writes it, minus the keys that keep their defaults (layer_norm_eps,
    // num_channels, max_position_embeddings), which the importer must fill in.
    Files.writeString(dir.resolve("config.json"), String.format("{\"model_type\": \"clip\","
        + " \"architectures\": [\"CLIPModel\"], \"projection_dim\": %d, \"logit_scale_init_value\":"
        + " 2.6592, \"text_config\": {\"model_type\": \"clip_text_model\", \"vocab_size\": %d,"
        + " \"hidden_size\": %d, \"intermediate_size\": %d, \"num_hidden_layers\": %d,"
        + " \"num_attention_heads\": %d, \"hidden_act\": \"quick_gelu\", \"bos_token_id\": %d,"
        + " \"eos_token_id\": %d, \"pad_token_id\": 1}, \"vision_config\": {\"model_type\":"
        + " \"clip_vision_model\", \"hidden_size\": %d, \"intermediate_size\": %d,"
        + " \"num_hidden_layers\": %d, \"num_attention_heads\": %d, \"image_size\": %d,"
        + " \"patch_size\": %d, \"hidden_act\": \"gelu\"}}",
        TinyModels.CLIP_CONFIG.projectionDim(), x.vocabSize(), x.hiddenSize(),
        x.intermediateSize(), x.numLayers(), x.numHeads(), x.eosTokenId() - 1, x.eosTokenId(),
        v.hiddenSize(), v.intermediateSize(), v.numLayers(), v.numHeads(), v.imageSize(),
        v.patchSize()));
    ClipTokenizer.writeTokenizerJson(dir.resolve("tokenizer.json"), TinyModels.CLIP_MERGES);
    Files.writeString(dir.resolve(HfClipImporter.PREPROCESSOR_FILE), PREPROCESSOR);
    return dir;
  }

  @Test
  void importedCheckpointComputesTheSameFunctionAsTheDirectBuild() throws IOException {
    Path ckpt = writeCheckpoint(tmp.resolve("hf"), 41);
    ModelDir imported = new HfClipImporter(new ModelStore(tmp.resolve("store")))
        .importModel(ckpt, "tiny-clip", ImportProgress.NONE);
    ModelManifest m = imported.manifest();
    assertEquals(ModelManifest.ARCH_CLIP, m.architecture());
    assertEquals(TinyModels.CLIP_CONFIG.projectionDim(), m.hiddenSize());
    assertEquals(77, m.maxPositions());
    ModelManifest.ImagePreprocessing p = m.imagePreprocessing();
    assertEquals(16, p.imageSize());
    assertEquals(16, p.cropSize());
    assertEquals(3, p.resample());
    assertArrayEquals(new float[] {0.5f, 0.25f, 0.125f}, p.imageMean());
    assertArrayEquals(new float[] {0.2f, 0.3f, 0.4f}, p.imageStd());
    // The manifest round-trips through JSON with its preprocessing.
    assertArrayEquals(p.imageStd(), ModelManifest.read(imported.dir()).imagePreprocessing()
        .imageStd());
    assertTrue(imported.verifyChecksum());

    ModelDir direct = TinyModels.clip(tmp.resolve("direct"), 41);
    try (OrtSessions sessions = new OrtSessions();
        ClipEncoder a = ClipEncoder.open(direct, OrtConfig.cpu(1), sessions);
        ClipEncoder b = ClipEncoder.open(imported, OrtConfig.cpu(1), sessions)) {
      List<String> texts = List.of("a photo of a dog", "green");
      float[][] ea = a.embedTexts(texts);
      float[][] eb = b.embedTexts(texts);
      for (int i = 0; i < texts.size(); i++) {
        assertArrayEquals(ea[i], eb[i], 1e-6f);
      }
      float[] px = new float[3 * 16 * 16];
      for (int i = 0; i < px.length; i++) {
        px[i] = (float) Math.sin(i);
      }
      assertArrayEquals(a.embedPixels(List.of(px))[0], b.embedPixels(List.of(px))[0], 1e-6f);
    }
  }

  @Test
  void unsupportedPreprocessingAndMissingFilesAreRefusedByName() throws IOException {
    Path ckpt = writeCheckpoint(tmp.resolve("hf"), 42);
    HfClipImporter importer = new HfClipImporter(new ModelStore(tmp.resolve("store")));
    Files.writeString(ckpt.resolve(HfClipImporter.PREPROCESSOR_FILE),
        PREPROCESSOR.replace("\"resample\": 3", "\"resample\": 2"));
    IOException e = assertThrows(IOException.class,
        () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("resample 2"), e.getMessage());
    Files.writeString(ckpt.resolve(HfClipImporter.PREPROCESSOR_FILE),
        PREPROCESSOR.replace("\"shortest_edge\": 16", "\"shortest_edge\": 20"));
    e = assertThrows(IOException.class, () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("resizes to 20"), e.getMessage());
    Files.delete(ckpt.resolve(HfClipImporter.PREPROCESSOR_FILE));
    e = assertThrows(IOException.class, () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains(HfClipImporter.PREPROCESSOR_FILE), e.getMessage());
    Files.writeString(ckpt.resolve("config.json"), "{\"model_type\": \"clip\", \"text_config\":"
        + " {\"hidden_act\": \"relu\"}}");
    e = assertThrows(IOException.class, () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("relu"), e.getMessage());
    assertTrue(Files.notExists(tmp.resolve("store").resolve("x")), "nothing half-imported");
  }
}
