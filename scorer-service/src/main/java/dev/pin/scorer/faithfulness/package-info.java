/**
 * The seam for faithfulness proxies that need a task model (round-trip agreement, gain transfer),
 * to be implemented over the Reward service's client.
 */
package dev.pin.scorer.faithfulness;
