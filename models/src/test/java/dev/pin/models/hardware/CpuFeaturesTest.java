package dev.pin.models.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuFeaturesTest {
  @TempDir Path tmp;

  /** Two processors of an AVX-512 VNNI machine, as Linux prints them (abridged). */
  private static final String EPYC_VNNI = """
      processor	: 0
      vendor_id	: AuthenticAMD
      cpu family	: 25
      model name	: AMD EPYC 9B14
      flags		: fpu vme sse sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl \
      avx512_bf16 avx512vbmi avx512_vnni avx512_bitalg avx_vnni
      bogomips	: 5200.00

      processor	: 1
      model name	: AMD EPYC 9B14
      flags		: fpu vme sse sse2 avx avx2 fma avx512f avx512_vnni
      """;

  private static final String AVX2_ONLY = """
      processor	: 0
      model name	: AMD EPYC 7B12
      flags		: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma bmi2
      """;

  /** Only AVX-VNNI (the VEX encoding of Alder Lake and later), no AVX-512. */
  private static final String ALDER_LAKE = """
      processor	: 0
      model name	: 12th Gen Intel(R) Core(TM) i7-1260P
      flags		: sse4_2 avx avx2 fma avx_vnni
      """;

  @Test
  void readsTheModelNameAndFlagsOfTheFirstProcessor() {
    CpuFeatures f = CpuFeatures.parseCpuinfo(EPYC_VNNI);
    assertEquals("AMD EPYC 9B14", f.model());
    assertTrue(f.has("avx512_vnni"));
    assertTrue(f.has("avx512_bf16"));
    assertTrue(f.hasVnni());
    assertEquals(List.of("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16"),
        f.notable());
    assertEquals("AMD EPYC 9B14 (avx2 avx512f avx512_vnni avx_vnni avx512_bf16)", f.describe());
  }

  @Test
  void vnniMeansEitherEncoding() {
    assertFalse(CpuFeatures.parseCpuinfo(AVX2_ONLY).hasVnni());
    assertTrue(CpuFeatures.parseCpuinfo(AVX2_ONLY).has("avx2"));
    CpuFeatures alderLake = CpuFeatures.parseCpuinfo(ALDER_LAKE);
    assertTrue(alderLake.hasVnni());
    assertFalse(alderLake.has("avx512f"));
  }

  @Test
  void anythingElseHasNoFeatures() throws IOException {
    // An ARM cpuinfo has "Features", not "flags"; macOS and Windows have no /proc/cpuinfo.
    CpuFeatures arm = CpuFeatures.parseCpuinfo("processor\t: 0\nFeatures\t: fp asimd asimddp\n");
    assertTrue(arm.flags().isEmpty());
    assertEquals("unknown CPU", arm.model());
    assertFalse(arm.hasVnni());
    assertEquals(CpuFeatures.none(), CpuFeatures.parseCpuinfo(""));

    Path cpuinfo = Files.writeString(tmp.resolve("cpuinfo"), EPYC_VNNI);
    assertTrue(CpuFeatures.read("Linux", cpuinfo).hasVnni());
    assertEquals(CpuFeatures.none(), CpuFeatures.read("Mac OS X", cpuinfo));
    assertEquals(CpuFeatures.none(), CpuFeatures.read("Windows 11", cpuinfo));
    assertEquals(CpuFeatures.none(), CpuFeatures.read("Linux", tmp.resolve("missing")));
    assertEquals("unknown CPU (no AVX2/AVX-512/VNNI/AMX flags)", CpuFeatures.none().describe());
  }
}
