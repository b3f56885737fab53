package dev.pin.reward.custom;

import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Split;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a {@link RewardFunction} sees besides the prompts.
 *
 * @param params CustomTask.params
 * @param split the split being scored
 * @param examples the selected examples of that split (may be empty)
 * @param model CustomTask.model when set
 */
public record RewardContext(
    Map<String, String> params, Split split, List<LabeledText> examples, Optional<ModelRef> model) {

  /** Copies the collections. */
  public RewardContext {
    params = Map.copyOf(params);
    examples = List.copyOf(examples);
  }

  /**
   * A parameter or its default.
   *
   * @param name parameter name
   * @param fallback value when absent or blank
   * @return the value
   */
  public String param(String name, String fallback) {
    String v = params.get(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
