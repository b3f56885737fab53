package dev.pin.models.hardware;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * The CPU's model name and instruction-set flags, as Linux reports them in {@code /proc/cpuinfo}
 * ({@code model name} and {@code flags} of the first processor). Any other system, or a file that
 * cannot be read, yields {@link #none()}: no feature is assumed that was not seen.
 *
 * @param model the CPU's model name, or {@code "unknown CPU"}
 * @param flags lower-case feature flags, e.g. {@code avx2}, {@code avx512_vnni}
 */
public record CpuFeatures(String model, Set<String> flags) {
  private static final Logger LOG = Logger.getLogger(CpuFeatures.class.getName());

  /** The flags that decide which numeric variants run fast here, in the order they are named. */
  public static final List<String> NOTABLE = List.of("avx2", "avx512f", "avx512_vnni", "avx_vnni",
      "avx512_bf16", "amx_int8", "amx_bf16");

  private static volatile CpuFeatures detected;

  /** Copies the flags. */
  public CpuFeatures {
    flags = Collections.unmodifiableSet(new TreeSet<>(flags));
  }

  /** No known features (non-Linux systems, unreadable cpuinfo). */
  public static CpuFeatures none() {
    return new CpuFeatures("unknown CPU", Set.of());
  }

  /** This machine's features, read once per process. */
  public static CpuFeatures detect() {
    CpuFeatures f = detected;
    if (f == null) {
      f = read(System.getProperty("os.name", ""), Path.of("/proc/cpuinfo"));
      detected = f;
    }
    return f;
  }

  /** The features of {@code cpuinfo} on Linux, else {@link #none()}. */
  static CpuFeatures read(String osName, Path cpuinfo) {
    if (!osName.toLowerCase(Locale.ROOT).startsWith("linux") || !Files.isReadable(cpuinfo)) {
      return none();
    }
    try {
      return parseCpuinfo(Files.readString(cpuinfo));
    } catch (IOException | RuntimeException e) {
      LOG.warning("cannot read " + cpuinfo + " (" + e.getMessage() + "); assuming no CPU features");
      return none();
    }
  }

  /**
   * Parses {@code /proc/cpuinfo} text: the first {@code model name} and the first {@code flags}
   * line (every core of a machine reports the same on the CPUs this serves).
   */
  public static CpuFeatures parseCpuinfo(String text) {
    String model = null;
    Set<String> flags = null;
    for (String line : text.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (model == null && key.equals("model name")) {
        model = value;
      } else if (flags == null && key.equals("flags")) {
        flags = new TreeSet<>();
        for (String f : value.split("\\s+")) {
          if (!f.isEmpty()) {
            flags.add(f.toLowerCase(Locale.ROOT));
          }
        }
      }
    }
    return new CpuFeatures(model == null ? "unknown CPU" : model,
        flags == null ? Set.of() : flags);
  }

  /** Whether the CPU reports {@code flag}. */
  public boolean has(String flag) {
    return flags.contains(flag);
  }

  /**
   * Whether the CPU has int8 dot products that accumulate in int32 (AVX-512 VNNI or AVX-VNNI):
   * ONNX Runtime's u8×s8 kernels then take full 8-bit weights without the int16 saturation of
   * plain AVX2's {@code vpmaddubsw}.
   */
  public boolean hasVnni() {
    return has("avx512_vnni") || has("avx_vnni");
  }

  /** The {@link #NOTABLE} flags this CPU has. */
  public List<String> notable() {
    List<String> out = new ArrayList<>();
    for (String f : NOTABLE) {
      if (has(f)) {
        out.add(f);
      }
    }
    return out;
  }

  /** E.g. {@code AMD EPYC 9B14 (avx2 avx512f avx512_vnni avx_vnni avx512_bf16)}. */
  public String describe() {
    List<String> n = notable();
    return model + " (" + (n.isEmpty() ? "no AVX2/AVX-512/VNNI/AMX flags" : String.join(" ", n))
        + ")";
  }
}
