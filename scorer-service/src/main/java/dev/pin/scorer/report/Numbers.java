package dev.pin.scorer.report;

import java.math.BigDecimal;
import java.math.MathContext;

/** Compact number formatting for report tables. */
final class Numbers {
  private Numbers() {}

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
