/**
 * The reward cache. RL sampling repeats prompts often (a converging policy samples the same few
 * prompts over and over), and a prompt's reward on a fixed task, split and example subset never
 * changes because every model is frozen, so {@link dev.pin.reward.cache.RewardCache} keeps them in a
 * bounded Caffeine cache that shares in-flight computations between callers.
 */
package dev.pin.reward.cache;
