package dev.pin.models.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromptTemplateTest {

  @Test
  void rendersTheMaskedDefault() {
    PromptTemplate t = PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED);
    assertEquals(
        "a fine film . Absolutely VERY [MASK] .",
        t.render("a fine film .", "Absolutely VERY", "[MASK]"));
  }

  @Test
  void emptyPromptLeavesNoDoubleSpace() {
    assertEquals(
        "a fine film [MASK] .",
        PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED).render("a fine film", "", "[MASK]"));
    assertEquals(
        "<mask> Wall St. rallies",
        PromptTemplate.parse(PromptTemplate.AG_NEWS).render("Wall St. rallies", "  ", "<mask>"));
    assertEquals(
        "a fine film",
        PromptTemplate.parse(PromptTemplate.DEFAULT_CAUSAL).render("a fine film", "", ""));
    assertEquals("x", PromptTemplate.parse("{prompt} {sentence}").render("x", "", ""));
  }

  @Test
  void rendersAgNewsAndCausal() {
    assertEquals(
        "<mask> News: Wall St. rallies",
        PromptTemplate.parse(PromptTemplate.AG_NEWS).render("Wall St. rallies", "News:", "<mask>"));
    assertEquals(
        "a fine film It was",
        PromptTemplate.parse(PromptTemplate.DEFAULT_CAUSAL).render("a fine film", " It was", ""));
  }

  @Test
  void substitutesInOnePass() {
    PromptTemplate t = PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED);
    assertEquals("say {prompt} p [MASK] .", t.render("say {prompt}", "p", "[MASK]"));
  }

  @Test
  void countsPlaceholders() {
    PromptTemplate t = PromptTemplate.parse("{sentence} {prompt} {mask} . {sentence}");
    assertEquals(2, t.count(PromptTemplate.SENTENCE));
    assertEquals(1, t.count(PromptTemplate.PROMPT));
    assertEquals(1, t.count(PromptTemplate.MASK));
    assertEquals(0, PromptTemplate.parse("{x} {prompt}").count(PromptTemplate.SENTENCE));
  }

  @Test
  void knowsWhetherTheLabelWordFollowsASpace() {
    assertTrue(PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED).labelWordFollowsSpace(true));
    assertFalse(PromptTemplate.parse(PromptTemplate.AG_NEWS).labelWordFollowsSpace(true));
    assertFalse(PromptTemplate.parse("{sentence} {prompt}{mask}").labelWordFollowsSpace(true));
    assertTrue(PromptTemplate.parse(PromptTemplate.DEFAULT_CAUSAL).labelWordFollowsSpace(false));
    assertFalse(PromptTemplate.parse("{sentence} {prompt} ").labelWordFollowsSpace(false));
  }

  @Test
  void rendersAroundThePromptWithoutTheSpaceItsFirstTokenCarries() {
    assertEquals(List.of("a fine film", " [MASK] ."),
        PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED)
            .renderAroundPrompt("a fine film", "[MASK]"));
    assertEquals(List.of("<mask>", " Wall St."),
        PromptTemplate.parse(PromptTemplate.AG_NEWS).renderAroundPrompt("Wall St.", "<mask>"));
    assertEquals(List.of("x", ""),
        PromptTemplate.parse(PromptTemplate.DEFAULT_CAUSAL).renderAroundPrompt("x", ""));
    assertEquals(List.of("", " x", " [MASK]"),
        PromptTemplate.parse("{prompt} {sentence} {prompt} {mask}")
            .renderAroundPrompt("x", "[MASK]"));
    // Joining the pieces with " " + prompt gives back the text rendering.
    PromptTemplate t = PromptTemplate.parse("{sentence} {prompt} {mask} .");
    assertEquals(t.render("x", "it was", "[MASK]"),
        String.join(" it was", t.renderAroundPrompt("x", "[MASK]")));
  }
}
