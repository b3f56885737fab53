package dev.pin.models.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.OptConfig;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tiny OPTForCausalLM checkpoints in HuggingFace's layout, written here, imported, run. */
class HfOptImporterTest {
  @TempDir Path tmp;

  static Path writeCheckpoint(Path dir, OptConfig c, long seed) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object[]> t = new LinkedHashMap<>();
    for (Map.Entry<String, FloatTensor> e : TinyModels.optWeights(c, seed).entrySet()) {
      t.put("model.decoder." + e.getKey(), new Object[] {"F32", e.getValue().shape(),
          HfBertImporterTest.f32(e.getValue().toFloats())});
    }
    HfBertImporterTest.writeSafetensors(dir.resolve("model.safetensors"), t);
    Files.writeString(dir.resolve("config.json"), String.format("{\"model_type\": \"opt\","
        + " \"architectures\": [\"OPTForCausalLM\"], \"activation_function\": \"relu\","
        + " \"vocab_size\": %d, \"hidden_size\": %d, \"num_hidden_layers\": %d,"
        + " \"num_attention_heads\": %d, \"ffn_dim\": %d, \"max_position_embeddings\": %d,"
        + " \"word_embed_proj_dim\": %d, \"do_layer_norm_before\": %b, \"bos_token_id\": 2,"
        + " \"pad_token_id\": 1, \"eos_token_id\": 2}", c.vocabSize(), c.hiddenSize(),
        c.numLayers(), c.numHeads(), c.ffnDim(), c.maxPositions(), c.wordEmbedProjDim(),
        c.doLayerNormBefore()));
    ByteLevelBpe.writeByteTokenizerJson(dir.resolve("tokenizer.json"), ByteLevelBpe.OPT_SPECIALS);
    return dir;
  }

  @ParameterizedTest(name = "opt-350m layout: {0}")
  @ValueSource(booleans = {false, true})
  void importedCheckpointComputesTheSameFunctionAsTheDirectBuild(boolean opt350)
      throws IOException {
    OptConfig c = opt350 ? TinyModels.OPT_350M_STYLE_CONFIG : TinyModels.OPT_CONFIG;
    Path ckpt = writeCheckpoint(tmp.resolve("hf"), c, 41);
    ModelDir imported = new HfOptImporter(new ModelStore(tmp.resolve("store")))
        .importModel(ckpt, "tiny-opt", ImportProgress.NONE);
    assertEquals("opt-clm", imported.manifest().architecture());
    assertEquals(2, imported.manifest().specialId("bos"));
    assertEquals(1, imported.manifest().specialId("pad"));
    ModelDir direct = TinyModels.optClm(tmp.resolve("direct"), 41, c);
    try (OrtSessions sessions = new OrtSessions()) {
      List<int[]> ids = List.of(new int[] {2, 108, 109, 37});
      assertArrayEquals(CausalLm.open(direct, OrtConfig.cpu(1), sessions).nextTokenLogits(ids)[0],
          CausalLm.open(imported, OrtConfig.cpu(1), sessions).nextTokenLogits(ids)[0], 1e-6f);
    }
  }

  @Test
  void unsupportedVariantsAreRefusedByName() throws IOException {
    Path ckpt = writeCheckpoint(tmp.resolve("hf"), TinyModels.OPT_CONFIG, 42);
    HfOptImporter importer = new HfOptImporter(new ModelStore(tmp.resolve("store")));
    String config = Files.readString(ckpt.resolve("config.json"));
    Files.writeString(ckpt.resolve("config.json"), config.replace("\"relu\"", "\"gelu\""));
    IOException e = assertThrows(IOException.class,
        () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("gelu"), e.getMessage());
    Files.writeString(ckpt.resolve("config.json"), config);
    Files.delete(ckpt.resolve("tokenizer.json"));
    e = assertThrows(IOException.class, () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
  }
}
