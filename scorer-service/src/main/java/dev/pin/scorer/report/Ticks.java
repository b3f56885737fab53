package dev.pin.scorer.report;

import java.math.BigDecimal;
import java.math.MathContext;

/** Axis ticks at "nice" numbers (1, 2, 5 × 10^n) and compact number formatting. */
final class Ticks {
  private Ticks() {}

  /**
   * About {@code target} evenly spaced nice ticks covering [lo, hi]; a degenerate range is
   * widened around its value so a single point still gets an axis.
   */
  static double[] nice(double lo, double hi, int target) {
    if (hi - lo <= 0) {
      double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
      lo -= pad;
      hi += pad;
    }
    double step = niceStep((hi - lo) / Math.max(1, target - 1));
    // The epsilons keep 0.9/0.1 = 8.999… from adding a tick below the data.
    double first = Math.floor(lo / step + 1e-9) * step;
    double last = Math.ceil(hi / step - 1e-9) * step;
    int n = (int) Math.round((last - first) / step) + 1;
    double[] ticks = new double[n];
    for (int i = 0; i < n; i++) {
      ticks[i] = first + i * step;
    }
    return ticks;
  }

  private static double niceStep(double raw) {
    double exp = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / exp;
    double nice = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;
    return nice * exp;
  }

  /**
   * An axis label for tick {@code v} of an axis whose ticks are {@code step} apart: as many
   * decimals as the step needs, so ticks of a narrow range (a loss between 497.20 and 497.24)
   * stay distinct; an exponent when that would take more than six decimals.
   */
  static String label(double v, double[] ticks) {
    if (!Double.isFinite(v)) {
      return "–";
    }
    double step = ticks.length > 1 ? ticks[1] - ticks[0] : 0;
    if (!(step > 0)) {
      return format(v);
    }
    if (Math.abs(v) < step * 1e-6) {
      return "0";
    }
    int decimals = (int) Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
    if (decimals > 6 || Math.abs(v) >= 1e7) {
      return String.format(java.util.Locale.ROOT, "%.3g", v);
    }
    return BigDecimal.valueOf(v).setScale(decimals, java.math.RoundingMode.HALF_UP)
        .toPlainString();
  }

  /** Four significant digits, no trailing zeros, no exponent for everyday magnitudes. */
  static String format(double v) {
    if (!Double.isFinite(v)) {
      return "–";
    }
    if (Math.abs(v) < 1e-12) {
      return "0";
    }
    BigDecimal d = BigDecimal.valueOf(v).round(new MathContext(4)).stripTrailingZeros();
    if (Math.abs(v) >= 1e7 || Math.abs(v) < 1e-4) {
      return d.toString();
    }
    return d.toPlainString();
  }
}
