/**
 * The two RL algorithms that learn a discrete prompt, one class each, with the math they share:
 * {@link dev.pin.policy.algorithm.SoftQLearning} (RLPrompt, ALGORITHMS.md §3) and {@link
 * dev.pin.policy.algorithm.SparseTsallisQLearning} (PIN, §4), sparsemax/spmax (§4.1), the LM-prior
 * filter F_I (§4.2), the losses of §3 and §4.3 as autograd-capable NDArray code, and the
 * hyperparameter record of §8. Section numbers in comments refer to shared/spec/ALGORITHMS.md.
 */
package dev.pin.policy.algorithm;
