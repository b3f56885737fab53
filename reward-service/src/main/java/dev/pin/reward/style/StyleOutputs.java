package dev.pin.reward.style;

import java.util.Locale;

/**
 * How a style-transfer generation is bounded and cleaned (§6.2), as in RLPrompt's released code.
 */
public final class StyleOutputs {
  private StyleOutputs() {}

  /**
   * Cleans one raw continuation of {@code {prompt} "{x}" "}: cut at the first {@code "} (the
   * closing quote), then just after the first {@code .}, {@code !} or {@code ?} (the mark is kept),
   * strip surrounding whitespace, lowercase.
   *
   * @param raw the generated continuation, without the input
   * @return the output sentence
   */
  public static String cut(String raw) {
    int quote = raw.indexOf('"');
    String text = (quote >= 0 ? raw.substring(0, quote) : raw).strip();
    int end = text.length();
    for (char c : new char[] {'.', '!', '?'}) {
      int i = text.indexOf(c);
      if (i >= 0 && i + 1 < end) {
        end = i + 1;
      }
    }
    return text.substring(0, end).strip().toLowerCase(Locale.ROOT);
  }

  /**
   * The new-token budget: {@code max(⌊1.5·n_x⌋, n_x + 10)}, capped by the task's max_new_tokens
   * when that is set (> 0).
   *
   * @param inputTokens n_x, the input sentence's length in generator tokens
   * @param cap GenerationConfig.max_new_tokens (0 = no cap)
   * @return the most tokens to generate
   */
  public static int maxNewTokens(int inputTokens, int cap) {
    if (inputTokens < 0) {
      throw new IllegalArgumentException("negative input length " + inputTokens);
    }
    int rule = Math.max((int) Math.floor(1.5 * inputTokens), inputTokens + 10);
    return cap > 0 ? Math.min(cap, rule) : rule;
  }
}
