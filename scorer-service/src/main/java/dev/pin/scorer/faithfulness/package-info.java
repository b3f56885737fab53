/**
 * Faithfulness proxies that need the task (ALGORITHMS.md §7.2): whether a prompt's text round-trips
 * to its token ids under the task model's tokenizer, and the prompt's gain over the empty prompt on
 * one task and on a second task model, measured over the Reward service's gRPC API.
 */
package dev.pin.scorer.faithfulness;
