package dev.pin.reward.ort;

import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.onnx.Int8Recipe;
import dev.pin.models.onnx.Precision;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.v1.ModelPrecision;
import java.util.Locale;
import java.util.Optional;

/**
 * Which graph a masked task LM runs (issue #13, cheaper steps): a task that names a precision gets
 * it; an unspecified one gets {@code reward.precision}, whose default {@code auto} picks int8
 * where the CPU has VNNI and the model has the int8 variant built by {@link Int8Recipe#VNNI} (the
 * recipe measured to agree with fp32 on ≥ 99 % of SST-2 test labels), and fp32 otherwise. A
 * variant built by the old 7-bit recipe ({@link Int8Recipe#REDUCED_RANGE}) is only run when int8
 * is asked for explicitly.
 */
public final class TaskModelPrecision {
  /** {@code reward.precision}: the precision of task models whose ModelRef leaves it unset. */
  public enum Setting {
    AUTO, FP32, INT8;

    /** Parses {@code auto}, {@code fp32} or {@code int8} (any case). */
    public static Setting parse(String s) {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
  }

  /**
   * The graph chosen for a model.
   *
   * @param precision the graph's precision
   * @param recipe the int8 recipe, or null for fp32
   * @param identity what computes the logits, for logs and TaskInfo, e.g. {@code
   *     bert-base-uncased int8 (recipe w8-row, reward.precision=auto, CPU has avx512_vnni)}
   */
  public record Choice(Precision precision, Int8Recipe recipe, String identity) {}

  private final Setting setting;
  private final CpuFeatures cpu;

  public TaskModelPrecision(Setting setting, CpuFeatures cpu) {
    this.setting = setting;
    this.cpu = cpu;
  }

  /** The service default: {@code auto} on this machine's CPU. */
  public static TaskModelPrecision auto() {
    return new TaskModelPrecision(Setting.AUTO, CpuFeatures.detect());
  }

  /** The start-up log line: the setting and the CPU it decides on. */
  public String describe() {
    String vnni = cpu.hasVnni() ? "has VNNI: int8 where a model has the " + Int8Recipe.VNNI.id()
        + " variant, else fp32" : "has no VNNI: fp32 (int8 only when a task asks for it)";
    return "task-model precision " + setting.name().toLowerCase(Locale.ROOT) + " on "
        + cpu.describe() + (setting == Setting.AUTO ? "; the CPU " + vnni : "");
  }

  /**
   * The graph for a masked LM whose task asked for {@code asked}.
   *
   * @throws IllegalStateException when int8 is asked for and the model has no int8 variant, or
   *     one whose recipe this CPU cannot run correctly (8-bit weights without VNNI)
   */
  public Choice choose(String name, ModelManifest m, ModelPrecision asked) {
    Optional<Int8Recipe> recipe = BertModelWriter.int8Recipe(m);
    Setting wanted = switch (asked) {
      case MODEL_PRECISION_FP32 -> Setting.FP32;
      case MODEL_PRECISION_INT8 -> Setting.INT8;
      // BF16 has no graph yet; it runs fp32 as it always did.
      case MODEL_PRECISION_BF16 -> Setting.FP32;
      default -> setting;
    };
    String how = asked == ModelPrecision.MODEL_PRECISION_UNSPECIFIED
        ? "reward.precision=" + setting.name().toLowerCase(Locale.ROOT) : "asked by the task";
    switch (wanted) {
      case FP32 -> {
        return new Choice(Precision.FP32, null, name + " fp32 (" + how + ")");
      }
      case INT8 -> {
        if (recipe.isEmpty()) {
          throw new IllegalStateException("model " + name + " has no int8 variant; create it"
              + " with: pin models import --int8 " + name);
        }
        if (recipe.get().needsVnni() && !cpu.hasVnni()) {
          throw new IllegalStateException("the int8 variant of " + name + " was built by recipe "
              + recipe.get().id() + " for CPUs with VNNI; this CPU (" + cpu.describe() + ") would"
              + " saturate its int16 sums. Rebuild it here: pin models import --int8 --force "
              + name);
        }
        return new Choice(Precision.INT8, recipe.get(), name + " int8 (recipe "
            + recipe.get().id() + ", " + how + ", " + cpu.describe() + ")");
      }
      default -> {
        if (cpu.hasVnni() && recipe.isPresent() && recipe.get().equals(Int8Recipe.VNNI)) {
          return new Choice(Precision.INT8, recipe.get(), name + " int8 (recipe "
              + recipe.get().id() + ", " + how + ": CPU has " + vnniFlag() + ")");
        }
        String why = !cpu.hasVnni() ? "CPU has no VNNI"
            : recipe.isEmpty() ? "no int8 variant; pin models import " + name + " builds it"
            : "int8 variant by recipe " + recipe.get().id() + ", not " + Int8Recipe.VNNI.id()
                + "; pin models import " + name + " rebuilds it";
        return new Choice(Precision.FP32, null, name + " fp32 (" + how + ": " + why + ")");
      }
    }
  }

  private String vnniFlag() {
    return cpu.has("avx512_vnni") ? "avx512_vnni" : "avx_vnni";
  }
}
