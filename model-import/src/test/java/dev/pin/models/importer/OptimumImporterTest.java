package dev.pin.models.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.CausalLayout;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.Gpt2Config;
import dev.pin.models.onnx.Gpt2Graph;
import dev.pin.models.onnx.OptConfig;
import dev.pin.models.onnx.OptGraph;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.DecodingState;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * optimum-layout directories (model.onnx with optimum's input/output names, config.json,
 * tokenizer.json), written by pin's graph code in {@link CausalLayout#OPTIMUM}, imported and run.
 */
class OptimumImporterTest {
  @TempDir Path tmp;

  static Path gpt2Export(Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Map<String, FloatTensor> w = TinyModels.gpt2Weights(seed);
    Gpt2Config c = TinyModels.GPT2_CONFIG;
    BertMlmGraph.write(Gpt2Graph.build(c, w::get, "optimum-style GPT-2", CausalLayout.OPTIMUM),
        dir.resolve("model.onnx"));
    Files.writeString(dir.resolve("config.json"), String.format("{\"architectures\":"
        + " [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\", \"vocab_size\": %d, \"n_embd\": %d,"
        + " \"n_layer\": %d, \"n_head\": %d, \"n_positions\": %d}", c.vocabSize(),
        c.hiddenSize(), c.numLayers(), c.numHeads(), c.maxPositions()));
    ByteLevelBpe.writeByteTokenizerJson(dir.resolve("tokenizer.json"));
    return dir;
  }

  static Path optExport(Path dir, OptConfig c, long seed) throws IOException {
    Path ckpt = HfOptImporterTest.writeCheckpoint(dir, c, seed);
    Map<String, FloatTensor> w = TinyModels.optWeights(c, seed);
    BertMlmGraph.write(OptGraph.build(c, w::get, "optimum-style OPT", CausalLayout.OPTIMUM),
        dir.resolve("model.onnx"));
    Files.delete(ckpt.resolve("model.safetensors"));
    return dir;
  }

  @Test
  void gpt2ExportRecordsItsRealNamesAndRunsLikeTheConvertedModel() throws IOException {
    Path export = gpt2Export(tmp.resolve("gpt2-onnx"), 3);
    assertTrue(OptimumImporter.isOptimumExport(export));
    ModelDir imported = new OptimumImporter(new ModelStore(tmp.resolve("store")))
        .importModel(export, "tiny-gpt2-onnx", ImportProgress.NONE);
    assertEquals("gpt2-clm", imported.manifest().architecture());
    List<String> inputs = imported.manifest().inputs();
    assertEquals(List.of("input_ids", "attention_mask", "position_ids"), inputs.subList(0, 3));
    assertTrue(inputs.contains("past_key_values.1.value"), inputs.toString());
    assertFalse(inputs.contains("positions"));
    assertEquals("present.0.key", imported.manifest().outputs().get("present.0.key"));
    assertFalse(imported.manifest().outputs().containsKey("last_hidden_state"));
    assertEquals("optimum-onnx", imported.manifest().source().get("kind"));

    ModelDir converted = TinyModels.gpt2Clm(tmp.resolve("direct"), 3);
    try (OrtSessions sessions = new OrtSessions()) {
      CausalLm optimum = CausalLm.open(imported, OrtConfig.cpu(1), sessions);
      CausalLm pin = CausalLm.open(converted, OrtConfig.cpu(1), sessions);
      List<int[]> batch = List.of(new int[] {256, 104, 105}, new int[] {256, 33});
      float[][] expected = pin.nextTokenLogits(batch);
      assertArrayEquals(expected[0], optimum.nextTokenLogits(batch)[0], 1e-4f);
      assertArrayEquals(expected[1], optimum.nextTokenLogits(batch)[1], 1e-4f);
      try (DecodingState s = optimum.startDecoding(batch)) {
        assertArrayEquals(expected[1], s.nextTokenLogits()[1], 1e-4f);
        s.step(new int[] {40, 41});
        float[] next = pin.nextTokenLogits(List.of(new int[] {256, 33, 41}))[0];
        assertArrayEquals(next, s.nextTokenLogits()[1], 1e-4f);
        IllegalStateException e = assertThrows(IllegalStateException.class, s::lastHidden);
        assertTrue(e.getMessage().contains("last_hidden_state"), e.getMessage());
      }
    }
  }

  @Test
  void optExportOfTheOpt350mLayoutRuns() throws IOException {
    OptConfig c = TinyModels.OPT_350M_STYLE_CONFIG;
    Path export = optExport(tmp.resolve("opt-onnx"), c, 4);
    ModelDir imported = new OptimumImporter(new ModelStore(tmp.resolve("store")))
        .importModel(export, "tiny-opt-onnx", ImportProgress.NONE);
    assertEquals("opt-clm", imported.manifest().architecture());
    assertEquals(2, imported.manifest().specialId("bos"));
    ModelDir converted = TinyModels.optClm(tmp.resolve("direct"), 4, c);
    try (OrtSessions sessions = new OrtSessions()) {
      List<int[]> batch = List.of(new int[] {2, 50, 60, 70}, new int[] {2, 9});
      float[][] expected = CausalLm.open(converted, OrtConfig.cpu(1), sessions)
          .nextTokenLogits(batch);
      try (DecodingState s = CausalLm.open(imported, OrtConfig.cpu(1), sessions)
          .startDecoding(batch)) {
        assertArrayEquals(expected[0], s.nextTokenLogits()[0], 1e-4f);
        assertArrayEquals(expected[1], s.nextTokenLogits()[1], 1e-4f);
      }
    }
  }

  @Test
  void unsupportedArchitecturesAreNamedWithTheSupportedOnes() throws IOException {
    Path export = gpt2Export(tmp.resolve("llama"), 5);
    Files.writeString(export.resolve("config.json"),
        "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\"}");
    IOException e = assertThrows(IOException.class,
        () -> new OptimumImporter(new ModelStore(tmp.resolve("store")))
            .importModel(export, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("LlamaForCausalLM"), e.getMessage());
    assertTrue(e.getMessage().contains("GPT2LMHeadModel")
        && e.getMessage().contains("OPTForCausalLM"), e.getMessage());
  }
}
