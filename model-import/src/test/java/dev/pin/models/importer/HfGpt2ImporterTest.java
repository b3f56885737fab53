package dev.pin.models.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.Gpt2Config;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.ByteLevelBpe;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny GPT2LMHeadModel in HuggingFace's layout, written here, imported, run. */
class HfGpt2ImporterTest {
  @TempDir Path tmp;

  static Path writeCheckpoint(Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object[]> t = new LinkedHashMap<>();
    for (Map.Entry<String, FloatTensor> e : TinyModels.gpt2Weights(seed).entrySet()) {
      t.put("transformer." + e.getKey(), new Object[] {"F32", e.getValue().shape(),
          HfBertImporterTest.f32(e.getValue().toFloats())});
    }
    HfBertImporterTest.writeSafetensors(dir.resolve("model.safetensors"), t);
    Gpt2Config c = TinyModels.GPT2_CONFIG;
    Files.writeString(dir.resolve("config.json"), String.format("{\"model_type\": \"gpt2\","
        + " \"activation_function\": \"gelu_new\", \"vocab_size\": %d, \"n_embd\": %d,"
        + " \"n_layer\": %d, \"n_head\": %d, \"n_positions\": %d, \"layer_norm_epsilon\": 1e-5}",
        c.vocabSize(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.maxPositions()));
    ByteLevelBpe.writeByteTokenizerJson(dir.resolve("tokenizer.json"));
    return dir;
  }

  @Test
  void importedCheckpointComputesTheSameFunctionAsTheDirectBuild() throws IOException {
    Path ckpt = writeCheckpoint(tmp.resolve("hf"), 31);
    ModelDir imported = new HfGpt2Importer(new ModelStore(tmp.resolve("store")))
        .importModel(ckpt, "tiny-gpt2", ImportProgress.NONE);
    assertEquals("gpt2-clm", imported.manifest().architecture());
    assertEquals(256, imported.manifest().specialId("bos"));
    ModelDir direct = TinyModels.gpt2Clm(tmp.resolve("direct"), 31);
    try (OrtSessions sessions = new OrtSessions()) {
      List<int[]> ids = List.of(new int[] {256, 104, 105, 33});
      assertArrayEquals(CausalLm.open(direct, OrtConfig.cpu(1), sessions).nextTokenLogits(ids)[0],
          CausalLm.open(imported, OrtConfig.cpu(1), sessions).nextTokenLogits(ids)[0], 1e-6f);
    }
  }

  @Test
  void otherFamiliesAndMissingTokenizersAreRefused() throws IOException {
    Path ckpt = writeCheckpoint(tmp.resolve("hf"), 32);
    HfGpt2Importer importer = new HfGpt2Importer(new ModelStore(tmp.resolve("store")));
    Files.delete(ckpt.resolve("tokenizer.json"));
    IOException e = assertThrows(IOException.class,
        () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    Files.writeString(ckpt.resolve("config.json"), "{\"model_type\": \"opt\"}");
    e = assertThrows(IOException.class, () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("opt"), e.getMessage());
  }
}
