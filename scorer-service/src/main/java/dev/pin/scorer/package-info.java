/**
 * The scorer service: how readable a prompt is (ALGORITHMS.md §7). {@code ScorerMain} runs it
 * alone, {@link dev.pin.scorer.ScorerServer} wires it into the shared bootstrap, and the
 * subpackages hold the math ({@code naturalness}, {@code readability}), the faithfulness seam
 * ({@code faithfulness}) and report rendering ({@code report}).
 */
package dev.pin.scorer;
