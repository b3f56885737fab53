package dev.pin.reward.custom;

import java.util.List;
import java.util.Map;

/**
 * A reward a user plugs into the reward service by name (TaskSpec.custom).
 *
 * <p>Contract: {@link #score} returns one finite reward per prompt, in prompt order, is
 * deterministic for the same prompts and context (results are cached by prompt text), and is
 * thread-safe (concurrent runs call it at once). Parameters come from {@code CustomTask.params};
 * {@link #validate} runs once at registration, so a bad parameter becomes INVALID_ARGUMENT there
 * instead of failing every training step. Higher is better; the orchestrator z-scores and shapes
 * rewards afterwards (ALGORITHMS.md §5).
 *
 * <p>To add one: implement this interface with a public no-argument constructor and list the class
 * in {@code META-INF/services/dev.pin.reward.custom.RewardFunction}, or pass an instance to {@link
 * RewardFunctionRegistry#register}.
 */
public interface RewardFunction {

  /**
   * The name a CustomTask uses, e.g. {@code "keyword"}; lowercase letters, digits, '-', '_', '.'.
   *
   * @return the registered name
   */
  String name();

  /**
   * Checks parameters at registration.
   *
   * @param params CustomTask.params
   * @throws InvalidParameterException naming the bad parameter
   */
  default void validate(Map<String, String> params) {}

  /**
   * Scores prompts.
   *
   * @param prompts prompt texts
   * @param context parameters, split and examples of the task
   * @return one reward per prompt
   */
  float[] score(List<String> prompts, RewardContext context);
}
