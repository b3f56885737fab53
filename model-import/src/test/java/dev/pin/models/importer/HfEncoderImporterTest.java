package dev.pin.models.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.SequenceClassifierGraph;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.ort.SequenceEncoder;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny RobertaForMaskedLM / BertForSequenceClassification / RobertaForSequenceClassification
 * checkpoints in HuggingFace's layout, written here under HF's module names, imported, and run
 * against the same models built directly.
 */
class HfEncoderImporterTest {
  static final List<String> LABELS = List.of("NEGATIVE", "POSITIVE");
  @TempDir Path tmp;

  /** HF names of {@code tf} weights: {@code roberta.}/{@code bert.} modules, lm_head, heads. */
  static Map<String, Object[]> hfTensors(Map<String, FloatTensor> tf, boolean roberta,
      boolean mlm) {
    String p = roberta ? "roberta" : "bert";
    Map<String, Object[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, FloatTensor> e : tf.entrySet()) {
      String n = e.getKey();
      if (n.startsWith("cls/") && !mlm) {
        continue;
      }
      String hf = n.replace("bert/encoder/layer_", p + "/encoder/layer/")
          .replace("bert/", p + "/").replace('/', '.')
          .replace(".kernel", ".weight").replace(".gamma", ".weight").replace(".beta", ".bias");
      if (n.endsWith("_embeddings")) {
        hf += ".weight";
      }
      hf = hf.replace("cls.predictions.transform.dense", "lm_head.dense")
          .replace("cls.predictions.transform.LayerNorm", "lm_head.layer_norm")
          .replace("cls.predictions.output_bias", "lm_head.bias");
      FloatTensor t = n.endsWith("/kernel") ? HfBertImporter.transpose(e.getValue())
          : e.getValue();
      out.put(hf, new Object[] {"F32", t.shape(), HfBertImporterTest.f32(t.toFloats())});
    }
    if (mlm) {
      FloatTensor word = tf.get("bert/embeddings/word_embeddings");
      out.put("lm_head.decoder.weight",
          new Object[] {"F32", word.shape(), HfBertImporterTest.f32(word.toFloats())});
    }
    return out;
  }

  static void writeConfig(Path dir, String arch, BertConfig c, boolean roberta, boolean labels)
      throws IOException {
    Files.writeString(dir.resolve("config.json"), String.format("{\"model_type\": \"%s\","
        + " \"architectures\": [\"%s\"], \"hidden_act\": \"gelu\", \"pad_token_id\": 1,"
        + " \"vocab_size\": %d, \"hidden_size\": %d, \"num_hidden_layers\": %d,"
        + " \"num_attention_heads\": %d, \"intermediate_size\": %d,"
        + " \"max_position_embeddings\": %d, \"type_vocab_size\": %d, \"layer_norm_eps\": %s%s}",
        roberta ? "roberta" : "bert", arch, c.vocabSize(), c.hiddenSize(), c.numLayers(),
        c.numHeads(), c.intermediateSize(), c.maxPositions(), c.typeVocabSize(),
        roberta ? "1e-05" : "1e-12",
        labels ? ", \"id2label\": {\"0\": \"NEGATIVE\", \"1\": \"POSITIVE\"}" : ""));
  }

  @Test
  void robertaMaskedLmImportsToTheDirectBuild() throws IOException {
    Path ckpt = Files.createDirectories(tmp.resolve("hf-roberta"));
    HfBertImporterTest.writeSafetensors(ckpt.resolve("model.safetensors"),
        hfTensors(TinyModels.robertaWeights(5), true, true));
    writeConfig(ckpt, "RobertaForMaskedLM", TinyModels.ROBERTA_CONFIG, true, false);
    TinyModels.writeRobertaTokenizerJson(ckpt.resolve("tokenizer.json"));
    ModelStore store = new ModelStore(tmp.resolve("store"));
    ModelDir imported = new HfEncoderImporter(store).importModel(ckpt, "tiny-roberta",
        ImportProgress.NONE);
    assertEquals(ModelManifest.ARCH_ROBERTA_MLM, imported.manifest().architecture());
    assertEquals("<mask>", imported.manifest().specialTokens().get("mask").token());
    ModelDir direct = TinyModels.robertaMlm(tmp.resolve("direct"), 5);
    try (OrtSessions sessions = new OrtSessions()) {
      MaskedLm a = MaskedLm.open(imported, OrtConfig.cpu(1), sessions);
      MaskedLm b = MaskedLm.open(direct, OrtConfig.cpu(1), sessions);
      int[] ids = a.textTokenizer().encode("the capital of france is <mask> .");
      float[][][] la = a.logits(List.of(ids));
      float[][][] lb = b.logits(List.of(ids));
      for (int t = 0; t < ids.length; t++) {
        assertArrayEquals(lb[0][t], la[0][t], 1e-6f);
      }
    }
  }

  @Test
  void sequenceClassifiersImportWithTheirLabels() throws IOException {
    for (boolean roberta : new boolean[] {false, true}) {
      SequenceClassifierGraph.Head head = roberta ? SequenceClassifierGraph.Head.ROBERTA
          : SequenceClassifierGraph.Head.BERT_POOLER;
      Path ckpt = Files.createDirectories(tmp.resolve("hf-cls-" + roberta));
      HfBertImporterTest.writeSafetensors(ckpt.resolve("model.safetensors"),
          hfTensors(TinyModels.classifierWeights(roberta, head, 2, 9), roberta, false));
      writeConfig(ckpt, roberta ? "RobertaForSequenceClassification"
          : "BertForSequenceClassification", roberta ? TinyModels.ROBERTA_CONFIG
          : TinyModels.BERT_CONFIG, roberta, true);
      if (roberta) {
        TinyModels.writeRobertaTokenizerJson(ckpt.resolve("tokenizer.json"));
      } else {
        Files.write(ckpt.resolve("vocab.txt"), TinyModels.vocab());
      }
      ModelDir imported = new HfEncoderImporter(new ModelStore(tmp.resolve("store")))
          .importModel(ckpt, "cls-" + roberta, ImportProgress.NONE);
      assertEquals(LABELS, imported.manifest().labels());
      ModelDir direct = TinyModels.sequenceClassifier(tmp.resolve("direct-" + roberta), roberta,
          LABELS, 9);
      try (OrtSessions sessions = new OrtSessions()) {
        SequenceEncoder a = SequenceEncoder.classifier(imported, OrtConfig.cpu(1), sessions);
        SequenceEncoder b = SequenceEncoder.classifier(direct, OrtConfig.cpu(1), sessions);
        List<int[]> batch = List.of(a.tokenizer().encode("a great film"),
            a.tokenizer().encode("so boring , the worst"));
        float[][] la = a.logits(batch);
        float[][] lb = b.logits(batch);
        for (int s = 0; s < batch.size(); s++) {
          assertArrayEquals(lb[s], la[s], 1e-6f);
        }
      }
    }
  }

  @Test
  void unsupportedArchitecturesAreNamed() throws IOException {
    Path ckpt = Files.createDirectories(tmp.resolve("hf-other"));
    writeConfig(ckpt, "RobertaForTokenClassification", TinyModels.ROBERTA_CONFIG, true, false);
    IOException e = assertThrows(IOException.class, () -> new HfEncoderImporter(
        new ModelStore(tmp.resolve("store"))).importModel(ckpt, "x", ImportProgress.NONE));
    assertTrue(e.getMessage().contains("RobertaForTokenClassification"), e.getMessage());
    assertTrue(e.getMessage().contains("RobertaForMaskedLM"), e.getMessage());
  }
}
