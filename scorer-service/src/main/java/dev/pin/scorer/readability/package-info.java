/**
 * Scrutability proxies that need no task model (Patel et al., "Towards Interpretable Soft
 * Prompts"; ALGORITHMS.md §7.2): the share of whole dictionary words against a real word list, and
 * token repetition. The prior top-k share and naturalness come from {@code
 * dev.pin.scorer.naturalness}.
 */
package dev.pin.scorer.readability;
