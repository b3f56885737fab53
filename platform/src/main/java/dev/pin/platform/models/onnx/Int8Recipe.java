package dev.pin.platform.models.onnx;

import dev.pin.platform.hardware.CpuFeatures;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the int8 variant ({@link Precision#INT8}) quantizes an encoder's dense layers. Weights are
 * always int8 with one symmetric scale per output column; what varies is the weight range, how
 * activations are scaled, and which dense layers stay float32.
 *
 * <p>The {@link #id} spells every choice ({@code w8-row-fp32=output-last=1}) and is what a model
 * manifest records, so a variant built by an older recipe is recognised and rebuilt.
 *
 * @param weightMax largest weight code: 63 (7 bits, ORT's {@code reduce_range}) or 127
 * @param perRowActivations one asymmetric uint8 scale per token row instead of one per tensor
 * @param smoothLayerNorm divide a LayerNorm output by per-channel factors before it is quantized
 *     and multiply them into the weights (SmoothQuant, Xiao et al. 2023, with α = 0.5), the
 *     factors estimated from the LayerNorm's own gamma and beta, which is where BERT's outlier
 *     channels come from (Kovaleva et al. 2021); applies to query/key/value and intermediate
 * @param floatDenses layer denses left in float32 in every layer
 * @param floatLastLayers how many of the last encoder layers stay entirely float32
 */
public record Int8Recipe(int weightMax, boolean perRowActivations, boolean smoothLayerNorm,
    Set<Dense> floatDenses, int floatLastLayers) {

  /** The six dense layers of an encoder layer, by their scope under {@code layer_i/}. */
  public enum Dense {
    QUERY("attention/self/query"),
    KEY("attention/self/key"),
    VALUE("attention/self/value"),
    ATTENTION_OUTPUT("attention/output/dense"),
    INTERMEDIATE("intermediate/dense"),
    OUTPUT("output/dense");

    private final String scope;

    Dense(String scope) {
      this.scope = scope;
    }

    /** The scope under {@code bert/encoder/layer_i/}. */
    public String scope() {
      return scope;
    }

    String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Dense ofKey(String key) {
      for (Dense d : values()) {
        if (d.key().equals(key)) {
          return d;
        }
      }
      throw new IllegalArgumentException("unknown dense '" + key + "'");
    }
  }

  /**
   * The recipe before VNNI support (the only one of manifests without a recorded recipe): 7-bit
   * weights, because without VNNI ORT's u8×s8 kernel sums pairs of products in int16
   * ({@code vpmaddubsw}) and 255·127·2 overflows it; per-tensor activations; everything
   * quantized. It cost 9 points of zero-shot SST-2 accuracy (60.4 → 51.5 %).
   */
  public static final Int8Recipe REDUCED_RANGE = new Int8Recipe(63, false, false, Set.of(), 0);

  /** The recipe for CPUs with VNNI (see the class comment for how it was chosen). */
  public static final Int8Recipe VNNI = new Int8Recipe(127, true, false, Set.of(), 0);

  /** {@link #VNNI} where the CPU has it, else {@link #REDUCED_RANGE}. */
  public static Int8Recipe forCpu(CpuFeatures cpu) {
    return cpu.hasVnni() ? VNNI : REDUCED_RANGE;
  }

  /** Validates and copies. */
  public Int8Recipe {
    if (weightMax != 63 && weightMax != 127) {
      throw new IllegalArgumentException("weightMax must be 63 or 127, got " + weightMax);
    }
    if (floatLastLayers < 0) {
      throw new IllegalArgumentException("floatLastLayers must be >= 0, got " + floatLastLayers);
    }
    floatDenses = floatDenses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(floatDenses));
  }

  /** Whether the dense {@code d} of layer {@code layer} (of {@code layers}) runs in int8. */
  public boolean quantizes(Dense d, int layer, int layers) {
    return !floatDenses.contains(d) && layer < layers - floatLastLayers;
  }

  /** Whether the recipe needs full 8-bit weight products (VNNI: no int16 saturation). */
  public boolean needsVnni() {
    return weightMax > 63;
  }

  /** The canonical name, e.g. {@code w8-row-fp32=output-last=1}; {@link #parse} reads it back. */
  public String id() {
    List<String> parts = new ArrayList<>();
    parts.add(weightMax == 127 ? "w8" : "w7");
    parts.add(perRowActivations ? "row" : "tensor");
    if (smoothLayerNorm) {
      parts.add("smooth");
    }
    if (!floatDenses.isEmpty()) {
      Set<String> keys = new TreeSet<>();
      EnumSet.copyOf(floatDenses).forEach(d -> keys.add(d.key()));
      parts.add("fp32=" + String.join("+", keys));
    }
    if (floatLastLayers > 0) {
      parts.add("last=" + floatLastLayers);
    }
    return String.join("-", parts);
  }

  private static final Pattern ID = Pattern.compile(
      "w([78])-(row|tensor)(-smooth)?(?:-fp32=([a-z+-]+?))?(?:-last=(\\d+))?");

  /** The recipe named by {@code id} ({@link #id()}'s format). */
  public static Int8Recipe parse(String id) {
    Matcher m = ID.matcher(id.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not an int8 recipe id: '" + id + "' (e.g. "
          + REDUCED_RANGE.id() + ")");
    }
    Set<Dense> denses = EnumSet.noneOf(Dense.class);
    if (m.group(4) != null) {
      for (String k : m.group(4).split("\\+")) {
        denses.add(Dense.ofKey(k));
      }
    }
    return new Int8Recipe(m.group(1).equals("8") ? 127 : 63, m.group(2).equals("row"),
        m.group(3) != null, denses, m.group(5) == null ? 0 : Integer.parseInt(m.group(5)));
  }

  @Override
  public String toString() {
    return id();
  }
}
