/**
 * The Q-network of ALGORITHMS.md §2 on DJL's PyTorch engine: the {@link
 * dev.pin.policy.qnet.Backbone} interface a frozen policy LM implements (hidden states of prefixes
 * plus its output head W_LM), heads for causal and masked LMs, the trainable MLP with its Polyak
 * target copy, Adam with gradient-norm clipping, and {@link dev.pin.policy.qnet.TinyBackbone}, a
 * small real backbone with random frozen weights for tests and benchmarks.
 */
package dev.pin.policy.qnet;
