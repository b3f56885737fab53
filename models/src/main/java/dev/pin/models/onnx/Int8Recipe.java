package dev.pin.models.onnx;

import dev.pin.models.hardware.CpuFeatures;
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
 * <p>The {@link #id} spells every choice ({@code w8-row-a16}, {@code w8-row-fp32=output-last=1})
 * and is what a model manifest records, so a variant built by an older recipe is recognised and
 * rebuilt.
 *
 * <p>How {@link #VNNI} was chosen (issue #13): BERT-base, zero-shot SST-2 (§6.1 template,
 * verbalizers terrible/great), all 1 821 test sentences, each recipe's predicted labels against
 * fp32's ({@code ./bench models dev.pin.models.bench.Int8RecipeSweep ID...}, on an AMD EPYC
 * with AVX-512 VNNI; fp32 accuracy 60.4 % for "it was", 50.5 % for the empty prompt). The bar:
 * agreement ≥ 99 % and accuracy within 0.5 points for both prompts. Margin RMS is the RMS over
 * sentences of the change in logit(great) − logit(terrible).
 *
 * <pre>
 * recipe                            "it was": acc  agree  margin RMS    "": acc  agree
 * w7-tensor (REDUCED_RANGE)                  52.1  87.9 %                   50.1  98.7 %
 * w8-tensor                                  52.7  88.2 %                   50.1  98.7 %
 * w8-tensor-smooth                           52.9  88.4 %                   50.1  98.8 %
 * w8-row                                     60.1  98.5 %                   50.2  99.5 %
 * w8-row-smooth                              60.7  98.5 %                   50.5  99.6 %
 * w8-row-fp32=output                         59.5  98.2 %                   50.2  99.7 %
 * w8-row-last=1                              60.2  98.5 %
 * w8-row-last=4                              59.6  98.7 %  0.077
 * w8-row-fp32=intermediate                   61.0  98.6 %  0.092
 * w8-row-fp32=attention (q, k, v, output)    59.7  98.5 %  0.102
 * w8-row-fp32=intermediate+output            60.5  99.3 %  0.051
 * w8-row-a16                                 60.3  99.4 %  0.043
 * </pre>
 *
 * <p>Per-tensor activation scales are what cost the old recipe its 9 points: one scale per token
 * row instead of one per batch brings agreement from 88 % to 98.5 % (a few rows with far larger
 * activations set everyone's resolution), and 8-bit weights alone change little. What is left
 * is 8-bit activation error spread over every layer (leaving the last layers or single denses in
 * fp32 barely helps; leaving the FFN in fp32 does, at most of the int8 gain); 16-bit activation
 * codes run as two uint8 planes remove it. On two odd prompts {@code w8-row-a16} agrees 99.1 %
 * ("across these these all most", a learned prompt of issue #13: 69.9 % vs fp32 70.0 %) and only
 * 97.5 % ("wdkurardanrdanrdan", a collapsed greedy prompt: 55.0 % vs 54.2 %): its margin error
 * is the same (RMS 0.045), but a nonsense prompt leaves many sentences with margins near 0, so
 * more labels flip. Rewards (§6.1) use the gap, not the label, and move by that margin error.
 * Per-row scales also make a sentence's logits
 * independent of what it is batched with, so cached rewards do not depend on batch company.
 *
 * @param weightMax largest weight code: 63 (7 bits, ORT's {@code reduce_range}) or 127
 * @param perRowActivations one asymmetric uint8 scale per token row instead of one per tensor
 * @param splitDenses denses whose activation rows are quantized to 16 bits and run as two
 *     uint8 planes (high and low byte) through the same int8 weights: two integer products for
 *     an activation error 256 times smaller (per-row only)
 * @param smoothLayerNorm divide a LayerNorm output by per-channel factors before it is quantized
 *     and multiply them into the weights (SmoothQuant, Xiao et al. 2023, with α = 0.5), the
 *     factors estimated from the LayerNorm's own gamma and beta, which is where BERT's outlier
 *     channels come from (Kovaleva et al. 2021); applies to query/key/value and intermediate
 *     (measured: no gain here)
 * @param floatDenses layer denses left in float32 in every layer
 * @param floatLastLayers how many of the last encoder layers stay entirely float32
 */
public record Int8Recipe(int weightMax, boolean perRowActivations, Set<Dense> splitDenses,
    boolean smoothLayerNorm, Set<Dense> floatDenses, int floatLastLayers) {

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
  public static final Int8Recipe REDUCED_RANGE =
      new Int8Recipe(63, false, Set.of(), false, Set.of(), 0);

  /**
   * The recipe for CPUs with VNNI (see the class comment for how it was chosen): full 8-bit
   * weights, per-row asymmetric activation scales, activations as 16-bit codes in two planes.
   */
  public static final Int8Recipe VNNI =
      new Int8Recipe(127, true, EnumSet.allOf(Dense.class), false, Set.of(), 0);

  /** {@link #VNNI} where the CPU has it, else {@link #REDUCED_RANGE}. */
  public static Int8Recipe forCpu(CpuFeatures cpu) {
    return cpu.hasVnni() ? VNNI : REDUCED_RANGE;
  }

  /** Validates and copies. */
  public Int8Recipe {
    if (weightMax != 63 && weightMax != 127) {
      throw new IllegalArgumentException("weightMax must be 63 or 127, got " + weightMax);
    }
    if (!splitDenses.isEmpty() && !perRowActivations) {
      throw new IllegalArgumentException("split (16-bit) activations need per-row scales");
    }
    if (floatLastLayers < 0) {
      throw new IllegalArgumentException("floatLastLayers must be >= 0, got " + floatLastLayers);
    }
    floatDenses = floatDenses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(floatDenses));
    splitDenses = splitDenses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(splitDenses));
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
    if (splitDenses.size() == Dense.values().length) {
      parts.add("a16");
    } else if (!splitDenses.isEmpty()) {
      parts.add("a16=" + keys(splitDenses));
    }
    if (smoothLayerNorm) {
      parts.add("smooth");
    }
    if (!floatDenses.isEmpty()) {
      parts.add("fp32=" + keys(floatDenses));
    }
    if (floatLastLayers > 0) {
      parts.add("last=" + floatLastLayers);
    }
    return String.join("-", parts);
  }

  private static String keys(Set<Dense> denses) {
    Set<String> keys = new TreeSet<>();
    denses.forEach(d -> keys.add(d.key()));
    return String.join("+", keys);
  }

  private static Set<Dense> denses(String keys) {
    Set<Dense> out = EnumSet.noneOf(Dense.class);
    if (keys != null) {
      for (String k : keys.split("\\+")) {
        out.add(Dense.ofKey(k));
      }
    }
    return out;
  }

  private static final Pattern ID = Pattern.compile(
      "w([78])-(row|tensor)(-a16(?:=([a-z+-]+?))?)?(-smooth)?(?:-fp32=([a-z+-]+?))?"
          + "(?:-last=(\\d+))?");

  /** The recipe named by {@code id} ({@link #id()}'s format). */
  public static Int8Recipe parse(String id) {
    Matcher m = ID.matcher(id.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not an int8 recipe id: '" + id + "' (e.g. "
          + REDUCED_RANGE.id() + ")");
    }
    Set<Dense> split = m.group(3) == null ? Set.of()
        : m.group(4) == null ? EnumSet.allOf(Dense.class) : denses(m.group(4));
    return new Int8Recipe(m.group(1).equals("8") ? 127 : 63, m.group(2).equals("row"), split,
        m.group(5) != null, denses(m.group(6)),
        m.group(7) == null ? 0 : Integer.parseInt(m.group(7)));
  }

  @Override
  public String toString() {
    return id();
  }
}
