package dev.pin.reward.custom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.Split;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RewardFunctionTest {

  private static RewardContext ctx(Map<String, String> params) {
    return new RewardContext(params, Split.SPLIT_TRAIN, List.of(), Optional.empty());
  }

  private static final List<String> PROMPTS =
      List.of("a Great movie", "good and great", "greatness", "nothing here");

  @Test
  void discoversTheBuiltInsThroughServiceLoader() {
    RewardFunctionRegistry registry = RewardFunctionRegistry.discover();
    assertEquals(List.of("keyword", "regex"), registry.names());
    assertTrue(registry.get("keyword").orElseThrow() instanceof KeywordReward);
  }

  @Test
  void explicitRegistrationAddsAndGuardsNames() {
    RewardFunctionRegistry registry = RewardFunctionRegistry.discover();
    RewardFunction length =
        new RewardFunction() {
          @Override
          public String name() {
            return "length";
          }

          @Override
          public float[] score(List<String> prompts, RewardContext context) {
            float[] r = new float[prompts.size()];
            for (int i = 0; i < r.length; i++) {
              r[i] = -prompts.get(i).length();
            }
            return r;
          }
        };
    registry.register(length);
    assertArrayEquals(
        new float[] {-3f},
        registry.get("length").orElseThrow().score(List.of("abc"), ctx(Map.of())));
    assertThrows(IllegalArgumentException.class, () -> registry.register(length));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            registry.register(
                new RewardFunction() {
                  @Override
                  public String name() {
                    return "Bad Name";
                  }

                  @Override
                  public float[] score(List<String> prompts, RewardContext context) {
                    return new float[0];
                  }
                }));
  }

  @Test
  void keywordFractionIsCaseInsensitiveWholeWordByDefault() {
    float[] r = new KeywordReward().score(PROMPTS, ctx(Map.of("keywords", "great, good")));
    assertArrayEquals(new float[] {0.5f, 1f, 0f, 0f}, r, 0f);
  }

  @Test
  void keywordModesAndOptions() {
    KeywordReward k = new KeywordReward();
    assertArrayEquals(
        new float[] {1f, 1f, 0f, 0f},
        k.score(PROMPTS, ctx(Map.of("keywords", "great,good", "mode", "any"))),
        0f);
    assertArrayEquals(
        new float[] {0f, 1f, 0f, 0f},
        k.score(PROMPTS, ctx(Map.of("keywords", "great,good", "mode", "all"))),
        0f);
    assertArrayEquals(
        new float[] {0f, 10f, 10f, 0f},
        k.score(
            PROMPTS,
            ctx(
                Map.of(
                    "keywords",
                    "great",
                    "case_sensitive",
                    "true",
                    "whole_word",
                    "false",
                    "scale",
                    "10"))),
        0f);
  }

  @Test
  void keywordValidationNamesTheParameter() {
    KeywordReward k = new KeywordReward();
    assertEquals(
        "keywords",
        assertThrows(InvalidParameterException.class, () -> k.validate(Map.of())).param());
    assertEquals(
        "keywords",
        assertThrows(InvalidParameterException.class, () -> k.validate(Map.of("keywords", " , ")))
            .param());
    assertEquals(
        "mode",
        assertThrows(
                InvalidParameterException.class,
                () -> k.validate(Map.of("keywords", "a", "mode", "most")))
            .param());
    assertEquals(
        "scale",
        assertThrows(
                InvalidParameterException.class,
                () -> k.validate(Map.of("keywords", "a", "scale", "NaN")))
            .param());
  }

  @Test
  void regexFindFullAndRewards() {
    RegexReward re = new RegexReward();
    assertArrayEquals(
        new float[] {0f, 1f, 1f, 0f}, re.score(PROMPTS, ctx(Map.of("pattern", "great"))), 0f);
    assertArrayEquals(
        new float[] {0f, 0f, 1f, 0f},
        re.score(PROMPTS, ctx(Map.of("pattern", "great\\w*", "match", "full"))),
        0f);
    assertArrayEquals(
        new float[] {5f, -1f, -1f, -1f},
        re.score(
            PROMPTS,
            ctx(
                Map.of(
                    "pattern",
                    "^a great",
                    "case_insensitive",
                    "true",
                    "reward_match",
                    "5",
                    "reward_no_match",
                    "-1"))),
        0f);
  }

  /** Backtracking regex engines take exponential time on this; RE2 is linear (issue #17). */
  @Test
  @org.junit.jupiter.api.Timeout(value = 20, unit = java.util.concurrent.TimeUnit.SECONDS)
  void regexIsLinearTimeOnAPathologicalPattern() {
    String prompt = "a".repeat(36);
    float[] r = new RegexReward().score(List.of(prompt),
        ctx(Map.of("pattern", "(.*a){12}b", "match", "full")));
    assertArrayEquals(new float[] {0f}, r, 0f);
  }

  @Test
  void regexValidationExplainsTheSyntaxError() {
    InvalidParameterException e =
        assertThrows(
            InvalidParameterException.class,
            () -> new RegexReward().validate(Map.of("pattern", "(great")));
    assertEquals("pattern", e.param());
    assertTrue(e.getMessage().contains("not a valid regular expression"), e.getMessage());
  }
}
