package dev.pin.reward.custom;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Built-in {@code keyword} reward: how many of the given keywords a prompt contains.
 *
 * <p>Parameters: {@code keywords} (required, comma-separated), {@code mode} ({@code fraction} — the
 * share of keywords present, the default; {@code any} — 1 if at least one is present; {@code all} —
 * 1 if all are), {@code case_sensitive} (default false), {@code whole_word} (default true: "great"
 * does not match "greatness") and {@code scale} (multiplier, default 1).
 */
public final class KeywordReward implements RewardFunction {

  /** The registered name. */
  public static final String NAME = "keyword";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void validate(Map<String, String> params) {
    keywords(params);
    Params.choice(params, "mode", "fraction", "fraction", "any", "all");
    Params.boolParam(params, "case_sensitive", false);
    Params.boolParam(params, "whole_word", true);
    Params.floatParam(params, "scale", 1f);
  }

  private static List<String> keywords(Map<String, String> params) {
    String raw = params.get("keywords");
    List<String> out = new ArrayList<>();
    if (raw != null) {
      for (String k : raw.split(",")) {
        if (!k.isBlank()) {
          out.add(k.strip());
        }
      }
    }
    if (out.isEmpty()) {
      throw new InvalidParameterException(
          "keywords", "give at least one keyword, comma-separated, e.g. \"great,good\"");
    }
    return out;
  }

  @Override
  public float[] score(List<String> prompts, RewardContext context) {
    Map<String, String> params = context.params();
    List<String> keywords = keywords(params);
    String mode = Params.choice(params, "mode", "fraction", "fraction", "any", "all");
    boolean caseSensitive = Params.boolParam(params, "case_sensitive", false);
    boolean wholeWord = Params.boolParam(params, "whole_word", true);
    float scale = Params.floatParam(params, "scale", 1f);
    List<Pattern> patterns = new ArrayList<>(keywords.size());
    for (String k : keywords) {
      String q = Pattern.quote(caseSensitive ? k : k.toLowerCase(Locale.ROOT));
      // Lookarounds instead of \b so keywords that start or end with punctuation still work.
      patterns.add(
          Pattern.compile(wholeWord ? "(?<![\\p{L}\\p{N}_])" + q + "(?![\\p{L}\\p{N}_])" : q));
    }
    float[] rewards = new float[prompts.size()];
    for (int i = 0; i < prompts.size(); i++) {
      String text = caseSensitive ? prompts.get(i) : prompts.get(i).toLowerCase(Locale.ROOT);
      int present = 0;
      for (Pattern p : patterns) {
        if (p.matcher(text).find()) {
          present++;
        }
      }
      float value =
          switch (mode) {
            case "any" -> present > 0 ? 1f : 0f;
            case "all" -> present == patterns.size() ? 1f : 0f;
            default -> present / (float) patterns.size();
          };
      rewards[i] = scale * value;
    }
    return rewards;
  }
}
