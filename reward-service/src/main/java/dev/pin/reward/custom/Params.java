package dev.pin.reward.custom;

import java.util.Map;

/** Parsing helpers for reward function parameters, with messages that name the parameter. */
final class Params {
  private Params() {}

  static float floatParam(Map<String, String> params, String name, float fallback) {
    String v = params.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      float f = Float.parseFloat(v.strip());
      if (!Float.isFinite(f)) {
        throw new NumberFormatException();
      }
      return f;
    } catch (NumberFormatException e) {
      throw new InvalidParameterException(name, "\"" + v + "\" is not a finite number");
    }
  }

  static boolean boolParam(Map<String, String> params, String name, boolean fallback) {
    String v = params.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    return switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new InvalidParameterException(name, "\"" + v + "\" is not true or false");
    };
  }

  static String choice(
      Map<String, String> params, String name, String fallback, String... allowed) {
    String v = params.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    String s = v.strip().toLowerCase(java.util.Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(s)) {
        return s;
      }
    }
    throw new InvalidParameterException(
        name, "\"" + v + "\" is not one of " + String.join(", ", allowed));
  }
}
