package dev.pin.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.ort.SequenceEncoder;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RoBERTa's masked LM, the sequence classifiers and the layer-cut encoder on ONNX Runtime against
 * {@link BertReference}, on tiny random models, batched with padding.
 */
class EncoderGraphsTest {
  static final long SEED = 7;
  static final double TOL = 1e-4;
  static final List<String> LABELS = List.of("negative", "positive", "neutral");
  @TempDir static Path tmp;
  static OrtSessions sessions;
  static ModelDir roberta;
  static MaskedLm robertaLm;
  static BertReference robertaRef;

  @BeforeAll
  static void build() throws IOException {
    sessions = new OrtSessions();
    roberta = TinyModels.robertaMlm(tmp.resolve("tiny-roberta"), SEED);
    robertaLm = MaskedLm.open(roberta, OrtConfig.cpu(1), sessions);
    robertaRef = new BertReference(TinyModels.ROBERTA_CONFIG, TinyModels.robertaWeights(SEED),
        TinyModels.ROBERTA_PADDING_IDX + 1);
  }

  @AfterAll
  static void close() {
    sessions.close();
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst < TOL, what + ": max |diff| " + worst);
  }

  @Test
  void robertaTokenizerUsesLeadingSpacesAndFramesWithSAndSlashS() {
    TextTokenizer tok = robertaLm.textTokenizer();
    String g = "\u0120"; // Ġ, byte-level BPE's space
    assertEquals(List.of(g + "great"), tok.tokenize(" great"));
    assertEquals(List.of("g", "r", "e", "a", "t"), tok.tokenize("great"));
    assertEquals(List.of("g", "r", "e", "a", "t", g + "movie", "<mask>", g + "."),
        tok.tokenize("great movie <mask> ."), "<mask> strips the space before it");
    int[] ids = tok.encode("great movie <mask> .");
    assertEquals(tok.id("<s>"), ids[0]);
    assertEquals(tok.id("</s>"), ids[ids.length - 1]);
    assertEquals(roberta.manifest().specialId("mask"), ids[7]);
    assertEquals(" great movie", tok.decode(tok.ids(" great movie")));
    assertEquals(ModelManifest.ARCH_ROBERTA_MLM, roberta.manifest().architecture());
    assertEquals(64, roberta.manifest().maxPositions(), "66 rows minus padding_idx + 1");
    assertThrows(IllegalStateException.class, robertaLm::tokenizer);
  }

  @Test
  void robertaMaskedLmMatchesTheReferenceWithPadding() throws IOException {
    TextTokenizer tok = robertaLm.textTokenizer();
    int[] a = tok.encode("the movie was <mask> .");
    int[] b = tok.encode("i went to the store to buy some milk , it was a great fun film");
    List<int[]> batch = List.of(a, b);
    float[][][] hidden = robertaLm.lastHiddenState(batch);
    float[][][] logits = robertaLm.logits(batch);
    for (int s = 0; s < 2; s++) {
      float[][] expected = robertaRef.hidden(batch.get(s));
      assertEquals(expected.length, hidden[s].length);
      for (int t = 0; t < expected.length; t++) {
        assertClose(expected[t], hidden[s][t], "hidden seq " + s + " pos " + t);
        assertClose(robertaRef.head(expected[t]), logits[s][t], "logits seq " + s + " pos " + t);
      }
    }
  }

  @Test
  void hiddenStatesOfAChosenLayerMatchTheReference() throws IOException {
    TextTokenizer tok = robertaLm.textTokenizer();
    List<int[]> batch = List.of(tok.encode(" good film"), tok.encode(" a very bad story , i hate"));
    SequenceEncoder layer1 = SequenceEncoder.hiddenStates(roberta, 1, OrtConfig.cpu(1), sessions);
    SequenceEncoder last = SequenceEncoder.hiddenStates(roberta, 0, OrtConfig.cpu(1), sessions);
    float[][][] h1 = layer1.hiddenStates(batch);
    float[][][] h2 = last.hiddenStates(batch);
    for (int s = 0; s < batch.size(); s++) {
      float[][] e1 = robertaRef.hidden(batch.get(s), 1);
      float[][] e2 = robertaRef.hidden(batch.get(s));
      for (int t = 0; t < e1.length; t++) {
        assertClose(e1[t], h1[s][t], "layer 1 seq " + s + " pos " + t);
        assertClose(e2[t], h2[s][t], "final layer seq " + s + " pos " + t);
      }
    }
    assertThrows(IllegalArgumentException.class,
        () -> SequenceEncoder.hiddenStates(roberta, 3, OrtConfig.cpu(1), sessions));
  }

  @Test
  void bertAndRobertaClassifiersMatchTheReferenceHeads() throws IOException {
    for (boolean isRoberta : new boolean[] {false, true}) {
      ModelDir dir = TinyModels.sequenceClassifier(
          tmp.resolve(isRoberta ? "tiny-roberta-cls" : "tiny-bert-cls"), isRoberta, LABELS, SEED);
      assertEquals(LABELS, dir.manifest().labels());
      assertEquals(isRoberta ? ModelManifest.ARCH_ROBERTA_CLS : ModelManifest.ARCH_BERT_CLS,
          dir.manifest().architecture());
      SequenceClassifierGraph.Head head = isRoberta ? SequenceClassifierGraph.Head.ROBERTA
          : SequenceClassifierGraph.Head.BERT_POOLER;
      Map<String, FloatTensor> w = TinyModels.classifierWeights(isRoberta, head, LABELS.size(),
          SEED);
      BertReference ref = new BertReference(
          isRoberta ? TinyModels.ROBERTA_CONFIG : TinyModels.BERT_CONFIG, w,
          isRoberta ? TinyModels.ROBERTA_PADDING_IDX + 1 : 0);
      SequenceEncoder cls = SequenceEncoder.classifier(dir, OrtConfig.cpu(1), sessions);
      List<int[]> batch = List.of(cls.tokenizer().encode("a great movie"),
          cls.tokenizer().encode("the worst film , the plot was boring and the acting bad"));
      float[][] logits = cls.logits(batch);
      for (int s = 0; s < batch.size(); s++) {
        float[] first = ref.hidden(batch.get(s))[0];
        float[] expected = isRoberta
            ? ref.dense(BertReference.tanh(ref.dense(first, SequenceClassifierGraph.ROBERTA_DENSE)),
                SequenceClassifierGraph.ROBERTA_OUT_PROJ)
            : ref.dense(BertReference.tanh(ref.dense(first, SequenceClassifierGraph.POOLER)),
                SequenceClassifierGraph.CLASSIFIER);
        assertClose(expected, logits[s], (isRoberta ? "roberta" : "bert") + " seq " + s);
      }
    }
  }

  @Test
  void meanPooledHeadAveragesOnlyRealTokens() throws IOException {
    Map<String, FloatTensor> w = TinyModels.classifierWeights(false,
        SequenceClassifierGraph.Head.MEAN_POOL_LINEAR, 2, SEED);
    ModelDir dir = dev.pin.models.writer.EncoderModelWriter.writeClassifier(
        tmp.resolve("tiny-mean"), "tiny-mean",
        new dev.pin.models.onnx.EncoderSpec(TinyModels.BERT_CONFIG, -1), w::get,
        SequenceClassifierGraph.Head.MEAN_POOL_LINEAR, List.of("a", "b"),
        dev.pin.models.writer.EncoderModelWriter.TokenizerFiles.wordPiece(
            TinyModels.vocab(), true), Map.of("kind", "test"));
    BertReference ref = new BertReference(TinyModels.BERT_CONFIG, w);
    SequenceEncoder cls = SequenceEncoder.classifier(dir, OrtConfig.cpu(1), sessions);
    List<int[]> batch = List.of(cls.tokenizer().encode("fun"),
        cls.tokenizer().encode("a long and very boring movie with a terrible plot"));
    float[][] logits = cls.logits(batch);
    for (int s = 0; s < batch.size(); s++) {
      float[][] hs = ref.hidden(batch.get(s));
      float[] mean = new float[hs[0].length];
      for (float[] v : hs) {
        for (int j = 0; j < mean.length; j++) {
          mean[j] += v[j] / hs.length;
        }
      }
      assertClose(ref.dense(mean, SequenceClassifierGraph.CLASSIFIER), logits[s], "seq " + s);
    }
    assertArrayEquals(new float[0], new float[0]);
  }
}
