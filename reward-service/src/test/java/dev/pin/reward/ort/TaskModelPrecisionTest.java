package dev.pin.reward.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.onnx.Int8Recipe;
import dev.pin.models.onnx.Precision;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.reward.ort.TaskModelPrecision.Setting;
import dev.pin.v1.ModelPrecision;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskModelPrecisionTest {
  private static final CpuFeatures VNNI =
      new CpuFeatures("EPYC", Set.of("avx2", "avx512f", "avx512_vnni"));
  private static final CpuFeatures AVX2 = new CpuFeatures("old EPYC", Set.of("avx2"));
  private static final ModelPrecision UNSET = ModelPrecision.MODEL_PRECISION_UNSPECIFIED;
  private static final ModelPrecision INT8 = ModelPrecision.MODEL_PRECISION_INT8;
  private static final ModelPrecision FP32 = ModelPrecision.MODEL_PRECISION_FP32;

  /** A bert-mlm manifest with no int8 variant (null), or one built by {@code recipeId}. */
  private static ModelManifest manifest(String recipeId, boolean recorded) {
    Map<String, String> files = new HashMap<>(Map.of("model", "model.onnx", "vocab", "vocab.txt"));
    Map<String, String> source = new HashMap<>(Map.of("kind", "test"));
    if (recipeId != null) {
      files.put(Precision.INT8.fileRole(), Precision.INT8.fileName());
      if (recorded) {
        source.put(BertModelWriter.INT8_RECIPE_KEY, recipeId);
      }
    }
    return new ModelManifest(1, "bert", ModelManifest.ARCH_BERT_MLM, List.of("masked-lm"), 8, 10,
        1, 1, 16, true, Map.of(), List.of(), Map.of(), files, "sha", source);
  }

  private static final ModelManifest FP32_ONLY = manifest(null, false);
  private static final ModelManifest ACCURATE = manifest(Int8Recipe.VNNI.id(), true);
  /** A variant from before recipes were recorded: the 7-bit one. */
  private static final ModelManifest OLD = manifest("ignored", false);

  @Test
  void autoRunsTheAccurateInt8VariantOnlyWhereTheCpuHasVnni() {
    TaskModelPrecision vnni = new TaskModelPrecision(Setting.AUTO, VNNI);
    TaskModelPrecision.Choice c = vnni.choose("bert", ACCURATE, UNSET);
    assertEquals(Precision.INT8, c.precision());
    assertEquals(Int8Recipe.VNNI, c.recipe());
    assertTrue(c.identity().contains("int8") && c.identity().contains("avx512_vnni"),
        c.identity());

    assertEquals(Precision.FP32, vnni.choose("bert", FP32_ONLY, UNSET).precision());
    TaskModelPrecision.Choice old = vnni.choose("bert", OLD, UNSET);
    assertEquals(Precision.FP32, old.precision(), "the 7-bit variant is not accurate enough");
    assertNull(old.recipe());
    assertTrue(old.identity().contains("w7-tensor"), old.identity());

    TaskModelPrecision avx2 = new TaskModelPrecision(Setting.AUTO, AVX2);
    assertEquals(Precision.FP32, avx2.choose("bert", ACCURATE, UNSET).precision());
    assertEquals(Precision.FP32, avx2.choose("bert", OLD, UNSET).precision());
    assertTrue(avx2.describe().contains("no VNNI"), avx2.describe());
    assertTrue(vnni.describe().contains("avx512_vnni"), vnni.describe());
  }

  @Test
  void anExplicitPrecisionIsKept() {
    TaskModelPrecision vnni = new TaskModelPrecision(Setting.AUTO, VNNI);
    assertEquals(Precision.FP32, vnni.choose("bert", ACCURATE, FP32).precision());
    assertEquals(Precision.INT8, vnni.choose("bert", ACCURATE, INT8).precision());
    // Asked for, the old recipe still runs, on any CPU.
    assertEquals(Precision.INT8, vnni.choose("bert", OLD, INT8).precision());
    TaskModelPrecision avx2 = new TaskModelPrecision(Setting.AUTO, AVX2);
    TaskModelPrecision.Choice old = avx2.choose("bert", OLD, INT8);
    assertEquals(Int8Recipe.REDUCED_RANGE, old.recipe());
    // 8-bit weights would saturate AVX2's int16 sums: refused, with the fix.
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> avx2.choose("bert", ACCURATE, INT8));
    assertTrue(e.getMessage().contains("pin models import --int8 --force bert"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> vnni.choose("bert", FP32_ONLY, INT8));
  }

  @Test
  void theSettingDecidesForTasksThatLeaveItUnset() {
    assertEquals(Precision.FP32,
        new TaskModelPrecision(Setting.FP32, VNNI).choose("bert", ACCURATE, UNSET).precision());
    assertEquals(Precision.INT8,
        new TaskModelPrecision(Setting.INT8, AVX2).choose("bert", OLD, UNSET).precision());
    assertEquals(Setting.AUTO, Setting.parse(" Auto "));
  }
}
