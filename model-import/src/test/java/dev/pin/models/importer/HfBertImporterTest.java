package dev.pin.models.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.writer.ImportProgress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny BertForMaskedLM in HuggingFace's layout, written here, imported, run. */
class HfBertImporterTest {
  @TempDir Path tmp;

  /** Writes a safetensors file from the format description (header JSON + raw LE data). */
  static void writeSafetensors(Path file, Map<String, Object[]> tensors) throws IOException {
    JsonObject header = new JsonObject();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (Map.Entry<String, Object[]> e : tensors.entrySet()) {
      String dtype = (String) e.getValue()[0];
      long[] shape = (long[]) e.getValue()[1];
      byte[] bytes = (byte[]) e.getValue()[2];
      JsonObject t = new JsonObject();
      t.addProperty("dtype", dtype);
      JsonArray s = new JsonArray();
      for (long d : shape) {
        s.add(d);
      }
      t.add("shape", s);
      JsonArray off = new JsonArray();
      off.add(data.size());
      off.add(data.size() + bytes.length);
      t.add("data_offsets", off);
      header.add(e.getKey(), t);
      data.write(bytes, 0, bytes.length);
    }
    JsonObject meta = new JsonObject();
    meta.addProperty("format", "pt");
    header.add("__metadata__", meta);
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(len.array(), 0, 8);
    out.write(h, 0, h.length);
    out.write(data.toByteArray(), 0, data.size());
    Files.write(file, out.toByteArray());
  }

  static byte[] f32(float[] x) {
    ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(x);
    return b.array();
  }

  /** The tiny model's weights under HF names, Linear weights as [out, in]. */
  static Map<String, Object[]> hfTensors(Map<String, FloatTensor> tf) {
    Map<String, Object[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, FloatTensor> e : tf.entrySet()) {
      String n = e.getKey();
      FloatTensor t = e.getValue();
      String hf;
      if (n.equals("cls/predictions/output_bias")) {
        hf = "cls.predictions.bias";
      } else {
        hf = n.replace("bert/encoder/layer_", "bert/encoder/layer/").replace('/', '.')
            .replace(".kernel", ".weight").replace(".gamma", ".weight").replace(".beta", ".bias");
        if (n.endsWith("_embeddings")) {
          hf += ".weight";
        }
      }
      if (n.endsWith("/kernel")) {
        FloatTensor tt = HfBertImporter.transpose(t);
        out.put(hf, new Object[] {"F32", tt.shape(), f32(tt.toFloats())});
      } else {
        out.put(hf, new Object[] {"F32", t.shape(), f32(t.toFloats())});
      }
    }
    // Present in real checkpoints, ignored by the importer (the decoder is tied).
    FloatTensor word = tf.get("bert/embeddings/word_embeddings");
    out.put("cls.predictions.decoder.weight",
        new Object[] {"F32", word.shape(), f32(word.toFloats())});
    return out;
  }

  static Path writeCheckpoint(Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    writeSafetensors(dir.resolve("model.safetensors"), hfTensors(TinyModels.bertWeights(seed)));
    BertConfig c = TinyModels.BERT_CONFIG;
    Files.writeString(dir.resolve("config.json"), String.format("{\"model_type\": \"bert\","
        + " \"architectures\": [\"BertForMaskedLM\"], \"hidden_act\": \"gelu\","
        + " \"vocab_size\": %d, \"hidden_size\": %d, \"num_hidden_layers\": %d,"
        + " \"num_attention_heads\": %d, \"intermediate_size\": %d,"
        + " \"max_position_embeddings\": %d, \"type_vocab_size\": %d, \"layer_norm_eps\": 1e-12}",
        c.vocabSize(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.intermediateSize(),
        c.maxPositions(), c.typeVocabSize()));
    Files.write(dir.resolve("vocab.txt"), TinyModels.vocab());
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": true}");
    return dir;
  }

  @Test
  void importedCheckpointComputesTheSameFunctionAsTheDirectBuild() throws IOException {
    Path ckpt = writeCheckpoint(tmp.resolve("hf"), 21);
    ModelStore store = new ModelStore(tmp.resolve("store"));
    ModelDir imported = new HfBertImporter(store).importModel(ckpt, "tiny-hf",
        ImportProgress.NONE);
    assertEquals("huggingface-safetensors", imported.manifest().source().get("kind"));
    assertEquals(2, imported.manifest().numHeads());
    ModelDir direct = TinyModels.bertMlm(tmp.resolve("direct"), 21);
    try (OrtSessions sessions = new OrtSessions()) {
      int[] ids = direct.tokenizer().encode("the capital of france is [MASK] .");
      float[][][] a = MaskedLm.open(imported, OrtConfig.cpu(1), sessions).logits(List.of(ids));
      float[][][] b = MaskedLm.open(direct, OrtConfig.cpu(1), sessions).logits(List.of(ids));
      for (int t = 0; t < ids.length; t++) {
        assertArrayEquals(b[0][t], a[0][t], 1e-6f);
      }
    }
  }

  @Test
  void rejectsCheckpointsWithoutAnMlmHeadOrOfAnotherFamily() throws IOException {
    Path ckpt = writeCheckpoint(tmp.resolve("hf"), 22);
    Map<String, Object[]> noHead = hfTensors(TinyModels.bertWeights(22));
    noHead.keySet().removeIf(k -> k.startsWith("cls."));
    writeSafetensors(ckpt.resolve("model.safetensors"), noHead);
    HfBertImporter importer = new HfBertImporter(new ModelStore(tmp.resolve("store")));
    IOException e = assertThrows(IOException.class,
        () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("no MLM head"), e.getMessage());
    Files.writeString(ckpt.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
    e = assertThrows(IOException.class, () -> importer.importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("gpt2"), e.getMessage());
  }

  @Test
  void halfAndBfloat16AreWidened() throws IOException {
    ByteBuffer f16 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (short h : new short[] {0x3c00, (short) 0xc000, 0x0001, 0x7bff}) {
      f16.putShort(h);
    }
    ByteBuffer bf16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    bf16.putShort((short) 0x3f80).putShort((short) 0xc0a0);
    Map<String, Object[]> t = new LinkedHashMap<>();
    t.put("h", new Object[] {"F16", new long[] {4}, f16.array()});
    t.put("b", new Object[] {"BF16", new long[] {2}, bf16.array()});
    t.put("i", new Object[] {"I64", new long[] {1}, new byte[8]});
    Path f = tmp.resolve("t.safetensors");
    writeSafetensors(f, t);
    try (SafeTensors st = SafeTensors.open(f)) {
      assertArrayEquals(new float[] {1f, -2f, 0x1p-24f, 65504f}, st.get("h").toFloats());
      assertArrayEquals(new float[] {1f, -5f}, st.get("b").toFloats());
      assertThrows(IOException.class, () -> st.get("i"));
    }
  }
}
