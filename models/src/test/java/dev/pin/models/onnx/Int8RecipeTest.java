package dev.pin.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.onnx.Int8Recipe.Dense;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Int8RecipeTest {
  private static final CpuFeatures VNNI = new CpuFeatures("vnni", Set.of("avx2", "avx512_vnni"));
  private static final CpuFeatures AVX2 = new CpuFeatures("avx2", Set.of("avx2"));

  @Test
  void idsRoundTrip() {
    Int8Recipe mixed =
        new Int8Recipe(127, true, EnumSet.of(Dense.INTERMEDIATE), false,
            EnumSet.of(Dense.OUTPUT, Dense.ATTENTION_OUTPUT), 2);
    Int8Recipe smooth = new Int8Recipe(63, false, Set.of(), true, Set.of(), 1);
    for (Int8Recipe r : new Int8Recipe[] {Int8Recipe.REDUCED_RANGE, Int8Recipe.VNNI, mixed,
        smooth}) {
      assertEquals(r, Int8Recipe.parse(r.id()), r.id());
    }
    assertEquals("w7-tensor", Int8Recipe.REDUCED_RANGE.id());
    assertEquals("w8-row-a16=intermediate-fp32=attention-output+output-last=2", mixed.id());
    assertEquals("w7-tensor-smooth-last=1", smooth.id());
    assertThrows(IllegalArgumentException.class,
        () -> new Int8Recipe(127, false, EnumSet.of(Dense.KEY), false, Set.of(), 0));
    assertThrows(IllegalArgumentException.class, () -> Int8Recipe.parse("w9-row"));
    assertThrows(IllegalArgumentException.class, () -> Int8Recipe.parse("w8-row-fp32=pooler"));
  }

  @Test
  void fullRangeWeightsOnlyWhereTheCpuHasVnni() {
    assertEquals(Int8Recipe.VNNI, Int8Recipe.forCpu(VNNI));
    assertTrue(Int8Recipe.VNNI.needsVnni());
    assertEquals(Int8Recipe.REDUCED_RANGE, Int8Recipe.forCpu(AVX2));
    assertEquals(Int8Recipe.REDUCED_RANGE, Int8Recipe.forCpu(CpuFeatures.none()));
    assertFalse(Int8Recipe.REDUCED_RANGE.needsVnni());
  }

  @Test
  void floatDensesAndLastLayersStayFloat() {
    Int8Recipe r = new Int8Recipe(127, true, Set.of(), false, EnumSet.of(Dense.OUTPUT), 2);
    assertTrue(r.quantizes(Dense.QUERY, 0, 12));
    assertFalse(r.quantizes(Dense.OUTPUT, 0, 12));
    assertTrue(r.quantizes(Dense.INTERMEDIATE, 9, 12));
    assertFalse(r.quantizes(Dense.INTERMEDIATE, 10, 12));
    assertFalse(r.quantizes(Dense.QUERY, 11, 12));
  }
}
