package dev.pin.cli.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pin.cli.Pin;
import dev.pin.models.onnx.ClipConfig;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.ClipTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code pin models import NAME --from DIR} on a tiny CLIPModel in HuggingFace's layout. */
class ImportClipCheckpointTest {
  @TempDir Path tmp;
  private final String previousHome = System.getProperty(ModelStore.HOME_PROPERTY);

  @AfterEach
  void restore() {
    if (previousHome == null) {
      System.clearProperty(ModelStore.HOME_PROPERTY);
    } else {
      System.setProperty(ModelStore.HOME_PROPERTY, previousHome);
    }
  }

  /** safetensors: 8-byte header length, JSON header, F32 data in header order. */
  private static void writeSafetensors(Path file, Map<String, FloatTensor> tensors)
      throws IOException {
    JsonObject header = new JsonObject();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (Map.Entry<String, FloatTensor> e : new TreeMap<>(tensors).entrySet()) {
      JsonObject t = new JsonObject();
      t.addProperty("dtype", "F32");
      JsonArray shape = new JsonArray();
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(data.size());
      ByteBuffer b = e.getValue().data().duplicate();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      data.write(bytes);
      offsets.add(data.size());
      t.add("data_offsets", offsets);
      header.add(e.getKey(), t);
    }
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(len.array());
    out.write(h);
    data.writeTo(out);
    Files.write(file, out.toByteArray());
  }

  private Path checkpoint(long seed) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("clip-hf"));
    writeSafetensors(dir.resolve("model.safetensors"),
        TinyModels.clipWeights(TinyModels.CLIP_CONFIG, seed));
    ClipConfig.Text t = TinyModels.CLIP_CONFIG.text();
    ClipConfig.Vision v = TinyModels.CLIP_CONFIG.vision();
    Files.writeString(dir.resolve("config.json"), String.format("{\"model_type\": \"clip\","
        + " \"projection_dim\": %d, \"text_config\": {\"vocab_size\": %d, \"hidden_size\": %d,"
        + " \"intermediate_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,"
        + " \"eos_token_id\": %d}, \"vision_config\": {\"hidden_size\": %d,"
        + " \"intermediate_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,"
        + " \"image_size\": %d, \"patch_size\": %d, \"hidden_act\": \"gelu\"}}",
        TinyModels.CLIP_CONFIG.projectionDim(), t.vocabSize(), t.hiddenSize(),
        t.intermediateSize(), t.numLayers(), t.numHeads(), t.eosTokenId(), v.hiddenSize(),
        v.intermediateSize(), v.numLayers(), v.numHeads(), v.imageSize(), v.patchSize()));
    ClipTokenizer.writeTokenizerJson(dir.resolve("tokenizer.json"), TinyModels.CLIP_MERGES);
    Files.writeString(dir.resolve("preprocessor_config.json"), "{\"crop_size\": 16,"
        + " \"size\": {\"shortest_edge\": 16}, \"resample\": 3, \"image_mean\": [0.48145466,"
        + " 0.4578275, 0.40821073], \"image_std\": [0.26862954, 0.26130258, 0.27577711]}");
    return dir;
  }

  @Test
  void importsACheckpointThatEmbedsLikeTheDirectBuild() throws Exception {
    System.setProperty(ModelStore.HOME_PROPERTY, tmp.resolve("store").toString());
    Path dir = checkpoint(8);
    StringWriter err = new StringWriter();
    CommandLine cmd = Pin.commandLine();
    cmd.setErr(new PrintWriter(err, true));
    cmd.setOut(new PrintWriter(new StringWriter(), true));
    assertEquals(0, cmd.execute("models", "import", "tiny-clip", "--from", dir.toString()),
        err.toString());
    ModelDir imported = new ModelStore(tmp.resolve("store")).require("tiny-clip");
    assertEquals("clip", imported.manifest().architecture());
    assertEquals(16, imported.manifest().imagePreprocessing().cropSize());
    assertTrue(err.toString().contains("projection 16"), err.toString());
    ModelDir direct = TinyModels.clip(tmp.resolve("direct"), 8);
    try (OrtSessions sessions = new OrtSessions();
        ClipEncoder a = ClipEncoder.open(direct, OrtConfig.cpu(1), sessions);
        ClipEncoder b = ClipEncoder.open(imported, OrtConfig.cpu(1), sessions)) {
      List<String> texts = List.of("a photo of a cat");
      assertArrayEquals(a.embedTexts(texts)[0], b.embedTexts(texts)[0], 1e-6f);
    }
  }
}
