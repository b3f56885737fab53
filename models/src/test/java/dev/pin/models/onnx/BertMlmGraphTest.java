package dev.pin.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emitted graph on ONNX Runtime against {@link BertReference} on the tiny model. */
class BertMlmGraphTest {
  static final long SEED = 42;
  static final double TOL = 1e-4;
  @TempDir static Path tmp;
  static ModelDir model;
  static OrtSessions sessions;
  static MaskedLm lm;
  static BertReference ref;

  @BeforeAll
  static void build() throws IOException {
    model = TinyModels.bertMlm(tmp.resolve("tiny-bert"), SEED);
    sessions = new OrtSessions();
    lm = MaskedLm.open(model, OrtConfig.cpu(1), sessions);
    ref = new BertReference(TinyModels.BERT_CONFIG, TinyModels.bertWeights(SEED));
  }

  @AfterAll
  static void close() {
    sessions.close();
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst < TOL, what + ": max |diff| " + worst);
  }

  @Test
  void hiddenStatesAndLogitsMatchTheReferenceWithPadding() throws IOException {
    var tok = lm.tokenizer();
    int[] a = tok.encode("the capital of france is [MASK] .");
    int[] b = tok.encode("i went to the store to buy some milk , it was great fun");
    List<int[]> batch = List.of(a, b);
    float[][][] hidden = lm.lastHiddenState(batch);
    float[][][] logits = lm.logits(batch);
    for (int s = 0; s < 2; s++) {
      float[][] expected = ref.hidden(batch.get(s));
      assertEquals(expected.length, hidden[s].length);
      for (int t = 0; t < expected.length; t++) {
        assertClose(expected[t], hidden[s][t], "hidden seq " + s + " pos " + t);
        assertClose(ref.head(expected[t]), logits[s][t], "logits seq " + s + " pos " + t);
      }
    }
  }

  @Test
  void logitsAtAndHiddenAtPickTheRequestedPositions() throws IOException {
    var tok = lm.tokenizer();
    int[] a = tok.encode("the capital of france is [MASK] .");
    int[] b = tok.encode("[MASK] movie");
    int[] pos = {6, 1};
    assertEquals(tok.id("[MASK]"), a[pos[0]]);
    float[][] at = lm.logitsAt(List.of(a, b), pos);
    float[][] hiddenAt = lm.hiddenAt(List.of(a, b), pos);
    float[][][] all = lm.logits(List.of(a, b));
    for (int s = 0; s < 2; s++) {
      assertClose(all[s][pos[s]], at[s], "logits_at " + s);
      float[][] expected = ref.hidden(List.of(a, b).get(s));
      assertClose(expected[pos[s]], hiddenAt[s], "hidden_at " + s);
    }
  }

  @Test
  void graphUsesStandardFusableOperators() throws IOException {
    OnnxMl.ModelProto proto;
    try (InputStream in = Files.newInputStream(model.modelFile())) {
      proto = OnnxMl.ModelProto.parseFrom(in);
    }
    Set<String> ops = proto.getGraph().getNodeList().stream().map(OnnxMl.NodeProto::getOpType)
        .collect(Collectors.toSet());
    assertTrue(ops.containsAll(Set.of("LayerNormalization", "Erf", "Softmax", "MatMul",
        "GatherND")), ops.toString());
    assertEquals(17, proto.getOpsetImport(0).getVersion());
    Map<String, List<Long>> initializers = proto.getGraph().getInitializerList().stream()
        .collect(Collectors.toMap(OnnxMl.TensorProto::getName, OnnxMl.TensorProto::getDimsList));
    assertEquals(List.of((long) TinyModels.BERT_CONFIG.vocabSize(), 32L),
        initializers.get(BertNames.WORD_EMBEDDINGS));
    assertTrue(model.verifyChecksum());
  }

  @Test
  void mlmHeadWeightsCanBeReadBackByName() throws IOException {
    Set<String> head = Set.of(BertNames.kernel(BertNames.HEAD_DENSE),
        BertNames.bias(BertNames.HEAD_DENSE), BertNames.gamma(BertNames.HEAD_LN),
        BertNames.beta(BertNames.HEAD_LN), BertNames.WORD_EMBEDDINGS, BertNames.OUTPUT_BIAS);
    OnnxWeights read = OnnxWeights.read(model.modelFile(), head);
    Map<String, FloatTensor> expected = TinyModels.bertWeights(SEED);
    for (String name : head) {
      assertArrayEquals(expected.get(name).shape(), read.get(name).shape(), name);
      assertArrayEquals(expected.get(name).toFloats(), read.get(name).toFloats(), name);
    }
    assertFalse(read.contains(BertNames.POSITION_EMBEDDINGS), "only the requested tensors");
  }
}
