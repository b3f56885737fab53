package dev.pin.reward.custom;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.List;
import java.util.Map;

/**
 * Built-in {@code regex} reward: whether a prompt matches a regular expression.
 *
 * <p>Parameters: {@code pattern} (required, RE2 syntax: no backreferences or lookaround), {@code
 * match} ({@code find}
 * anywhere, the default, or {@code full} for the whole prompt), {@code case_insensitive} (default
 * false), {@code reward_match} (default 1) and {@code reward_no_match} (default 0).
 *
 * <p>Matching is RE2/J's, linear in the prompt's length whatever the pattern: a caller's pattern
 * such as {@code (.*a){12}b} held the reward service for minutes under java.util.regex's
 * backtracking.
 */
public final class RegexReward implements RewardFunction {

  /** The registered name. */
  public static final String NAME = "regex";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void validate(Map<String, String> params) {
    pattern(params);
    Params.choice(params, "match", "find", "find", "full");
    Params.floatParam(params, "reward_match", 1f);
    Params.floatParam(params, "reward_no_match", 0f);
  }

  private static Pattern pattern(Map<String, String> params) {
    String p = params.get("pattern");
    if (p == null || p.isEmpty()) {
      throw new InvalidParameterException(
          "pattern", "give a regular expression, e.g. \"^[a-z ]+$\"");
    }
    boolean caseInsensitive = Params.boolParam(params, "case_insensitive", false);
    try {
      return Pattern.compile(p, caseInsensitive ? Pattern.CASE_INSENSITIVE : 0);
    } catch (PatternSyntaxException e) {
      throw new InvalidParameterException(
          "pattern",
          "not a valid regular expression (RE2 syntax: no backreferences or lookaround): "
              + e.getDescription() + " in " + e.getPattern());
    }
  }

  @Override
  public float[] score(List<String> prompts, RewardContext context) {
    Map<String, String> params = context.params();
    Pattern pattern = pattern(params);
    boolean full = Params.choice(params, "match", "find", "find", "full").equals("full");
    float yes = Params.floatParam(params, "reward_match", 1f);
    float no = Params.floatParam(params, "reward_no_match", 0f);
    float[] rewards = new float[prompts.size()];
    for (int i = 0; i < prompts.size(); i++) {
      var m = pattern.matcher(prompts.get(i));
      rewards[i] = (full ? m.matches() : m.find()) ? yes : no;
    }
    return rewards;
  }
}
