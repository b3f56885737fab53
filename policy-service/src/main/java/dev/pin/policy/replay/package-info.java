/**
 * PIN's off-policy memory (ALGORITHMS.md §4.4): a FIFO {@link dev.pin.policy.replay.ReplayBuffer}
 * of {@link dev.pin.policy.replay.Episode}s, each a prompt's token ids, the frozen LM's hidden
 * states for its T states and its shaped reward, so updates recompute Q without running the
 * backbone.
 */
package dev.pin.policy.replay;
