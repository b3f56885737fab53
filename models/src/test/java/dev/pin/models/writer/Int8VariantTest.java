package dev.pin.models.writer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.Int8Recipe;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.models.onnx.Precision;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Int8VariantTest {
  @TempDir Path tmp;

  @Test
  void int8GraphTracksTheFloatGraph() throws IOException {
    ModelDir fp32 = TinyModels.bertMlm(tmp.resolve("tiny"), 3);
    assertThrows(IllegalStateException.class, () -> fp32.modelFile(Precision.INT8));
    ModelDir both = BertModelWriter.addVariant(fp32, Precision.INT8);
    assertTrue(Files.isRegularFile(both.modelFile(Precision.INT8)));
    assertTrue(both.verifyChecksum(), "the float graph is untouched");
    // The recipe this CPU runs correctly, recorded so a re-import can tell it apart.
    assertEquals(Optional.of(Int8Recipe.forCpu(CpuFeatures.detect())),
        BertModelWriter.int8Recipe(both.manifest()));
    double rel = relativeError(both);
    // 8-bit weights and activations: a few percent relative error, not a different function.
    assertTrue(rel < 0.05, "relative error " + rel);
    assertTrue(rel > 0, "int8 graph must differ from fp32 (is it really quantized?)");
  }

  @Test
  void theOldRecipeRunsEverywhere() throws IOException {
    ModelDir dir = BertModelWriter.addVariant(TinyModels.bertMlm(tmp.resolve("tiny"), 3),
        Int8Recipe.REDUCED_RANGE);
    assertEquals(Optional.of(Int8Recipe.REDUCED_RANGE), BertModelWriter.int8Recipe(
        dir.manifest()));
    double rel = relativeError(dir);
    assertTrue(rel < 0.05 && rel > 0, "relative error " + rel);
  }

  /** Per-row activations, LayerNorm smoothing and 8-bit weights: VNNI CPUs only (saturation). */
  @Test
  void theVnniRecipesTrackTheFloatGraphMoreClosely() throws IOException {
    assumeTrue(CpuFeatures.detect().hasVnni(), "8-bit weights need VNNI (int32 dot products)");
    double old = relativeError(BertModelWriter.addVariant(
        TinyModels.bertMlm(tmp.resolve("old"), 3), Int8Recipe.REDUCED_RANGE));
    for (String id : List.of(Int8Recipe.VNNI.id(), "w8-row", "w8-row-a16", "w8-row-smooth",
        "w8-tensor-smooth", "w8-row-smooth-fp32=output-last=1")) {
      ModelDir dir = BertModelWriter.addVariant(TinyModels.bertMlm(tmp.resolve(id), 3),
          Int8Recipe.parse(id));
      double rel = relativeError(dir);
      assertTrue(rel > 0 && rel < old, id + ": relative error " + rel + ", 7-bit " + old);
    }
  }

  /**
   * Per-row scales make a sentence's int8 logits independent of the other sentences in its batch
   * (per-tensor scales do not), so a cached reward does not depend on what it was batched with.
   */
  @Test
  void perRowScalesKeepASentenceIndependentOfItsBatch() throws IOException {
    ModelDir dir = BertModelWriter.addVariant(TinyModels.bertMlm(tmp.resolve("tiny"), 3),
        Int8Recipe.parse("w7-row"));
    try (OrtSessions sessions = new OrtSessions()) {
      MaskedLm q = MaskedLm.open(dir, OrtConfig.cpu(1).withPrecision(Precision.INT8), sessions);
      int[] a = q.tokenizer().encode("the capital of france is [MASK] .");
      int[] b = q.tokenizer().encode("i went to the [MASK] to buy some milk and the capital of"
          + " france is paris .");
      int mask = q.manifest().specialId("mask");
      float[] alone = q.logitsAt(List.of(a), new int[] {indexOf(a, mask)})[0];
      float[] batched = q.logitsAt(List.of(a, b), new int[] {indexOf(a, mask),
          indexOf(b, mask)})[0];
      for (int v = 0; v < alone.length; v++) {
        assertEquals(alone[v], batched[v], 1e-4f * (1 + Math.abs(alone[v])), "logit " + v);
      }
    }
  }

  private static int indexOf(int[] ids, int id) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == id) {
        return i;
      }
    }
    throw new IllegalArgumentException("no mask");
  }

  @Test
  void floatDensesAndLastLayersStayMatMul() throws IOException {
    ModelDir tiny = TinyModels.bertMlm(tmp.resolve("tiny"), 3);
    OnnxWeights w = OnnxWeights.read(tiny.modelFile());
    var config = BertModelWriter.configOf(tiny.manifest(), w);
    assertEquals(2, config.numLayers());
    assertEquals(12, integerMatMuls(BertMlmGraph.build(config, w, "", Int8Recipe.parse("w8-row"))));
    // Two activation planes: two integer products per dense.
    assertEquals(24, integerMatMuls(BertMlmGraph.build(config, w, "", Int8Recipe.VNNI)));
    assertEquals(14, integerMatMuls(BertMlmGraph.build(config, w, "",
        Int8Recipe.parse("w8-row-a16=intermediate"))));
    // Layer 0 without its output dense (5), layer 1 in float32 (0).
    assertEquals(5, integerMatMuls(BertMlmGraph.build(config, w, "",
        Int8Recipe.parse("w8-row-smooth-fp32=output-last=1"))));
  }

  @Test
  void aVariantWithoutARecordedRecipeIsTheOldOne() throws IOException {
    ModelDir dir = BertModelWriter.addVariant(TinyModels.bertMlm(tmp.resolve("tiny"), 3),
        Int8Recipe.VNNI);
    ModelManifest m = dir.manifest();
    Map<String, String> source = new LinkedHashMap<>(m.source());
    source.remove(BertModelWriter.INT8_RECIPE_KEY);
    ModelManifest before = new ModelManifest(m.formatVersion(), m.name(), m.architecture(),
        m.roles(), m.hiddenSize(), m.vocabSize(), m.numLayers(), m.numHeads(), m.maxPositions(),
        m.doLowerCase(), m.specialTokens(), m.inputs(), m.outputs(), m.files(), m.modelSha256(),
        source);
    assertEquals(Optional.of(Int8Recipe.REDUCED_RANGE), BertModelWriter.int8Recipe(before));
    assertEquals(Optional.empty(), BertModelWriter.int8Recipe(
        TinyModels.bertMlm(tmp.resolve("plain"), 3).manifest()));
  }

  @Test
  void importBuildsTheVariantWhereVnniAndRebuildsAnOldOne() throws IOException {
    CpuFeatures vnni = new CpuFeatures("vnni", Set.of("avx2", "avx512_vnni"));
    CpuFeatures avx2 = new CpuFeatures("avx2", Set.of("avx2"));
    ModelDir plain = TinyModels.bertMlm(tmp.resolve("tiny"), 3);
    // No VNNI, not asked: fp32 only.
    assertEquals(Optional.empty(), BertModelWriter.int8Recipe(BertModelWriter.ensureInt8Variant(
        plain, avx2, null, ImportProgress.NONE).manifest()));
    // Asked without VNNI: the 7-bit recipe.
    ModelDir old = BertModelWriter.ensureInt8Variant(plain, avx2, true, ImportProgress.NONE);
    assertEquals(Optional.of(Int8Recipe.REDUCED_RANGE), BertModelWriter.int8Recipe(
        old.manifest()));
    // Re-imported on a VNNI CPU: the old variant is replaced by the VNNI recipe, by default.
    ModelDir rebuilt = BertModelWriter.ensureInt8Variant(old, vnni, null, ImportProgress.NONE);
    assertEquals(Optional.of(Int8Recipe.VNNI), BertModelWriter.int8Recipe(rebuilt.manifest()));
    assertTrue(rebuilt.verifyChecksum(), "the float graph is untouched");
    // Up to date: nothing is written; --no-int8 leaves an existing variant alone.
    var written = Files.getLastModifiedTime(rebuilt.modelFile(Precision.INT8));
    ModelDir again = BertModelWriter.ensureInt8Variant(rebuilt, vnni, null, ImportProgress.NONE);
    assertEquals(written, Files.getLastModifiedTime(again.modelFile(Precision.INT8)));
    assertEquals(Optional.of(Int8Recipe.VNNI), BertModelWriter.int8Recipe(
        BertModelWriter.ensureInt8Variant(again, avx2, false, ImportProgress.NONE).manifest()));
  }

  private static long integerMatMuls(ModelProto model) {
    return model.getGraph().getNodeList().stream()
        .filter(n -> n.getOpType().equals("MatMulInteger")).count();
  }

  /** ‖int8 − fp32‖ / ‖fp32‖ of the last hidden states of two sentences. */
  private static double relativeError(ModelDir both) throws IOException {
    try (OrtSessions sessions = new OrtSessions()) {
      MaskedLm f = MaskedLm.open(both, OrtConfig.cpu(1), sessions);
      MaskedLm q = MaskedLm.open(both, OrtConfig.cpu(1).withPrecision(Precision.INT8), sessions);
      List<int[]> batch = List.of(f.tokenizer().encode("the capital of france is [MASK] ."),
          f.tokenizer().encode("i went to the [MASK] to buy some milk ."));
      float[][][] a = f.lastHiddenState(batch);
      float[][][] b = q.lastHiddenState(batch);
      double num = 0;
      double den = 0;
      for (int s = 0; s < a.length; s++) {
        assertEquals(a[s].length, b[s].length);
        for (int t = 0; t < a[s].length; t++) {
          for (int j = 0; j < a[s][t].length; j++) {
            num += Math.pow(a[s][t][j] - b[s][t][j], 2);
            den += Math.pow(a[s][t][j], 2);
          }
        }
      }
      return Math.sqrt(num / den);
    }
  }
}
