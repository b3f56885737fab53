/**
 * The two RL algorithms that learn a discrete prompt, one class each that reads top to bottom in
 * the order of the math (sample → targets → loss → gradient step), its losses included as
 * autograd-capable NDArray code: {@link dev.pin.policy.algorithm.SoftQLearning} (RLPrompt,
 * ALGORITHMS.md §3) and {@link dev.pin.policy.algorithm.SparseTsallisQLearning} (PIN, §4), and the
 * white-box baseline {@link dev.pin.policy.algorithm.Pez} (PEZ, §7.1: projected gradients through
 * a {@link dev.pin.policy.algorithm.DifferentiableLm}, on the examples {@code PezTask} splices
 * around the prompt, its settings in {@code PezHyperparameters}), which with no projection is a
 * soft prompt (Lester et al. 2021) and also measures how faithfully a continuous prompt's
 * nearest-token projection drives the task model ({@code Pez.score}, §7.2), and its CLIP variant
 * {@link dev.pin.policy.algorithm.PezClip} (image inversion through a {@link
 * dev.pin.policy.algorithm.DifferentiableTextTower}); both variants share the continuous
 * prompt, its projection, AdamW and checkpoint ({@code ContinuousPromptPolicy}, {@code
 * PezCheckpoint}). Around the RL two: the plumbing both call into ({@code PolicyState}: Q-network,
 * optimiser, RNG, replay buffer, checkpoints; {@code Rollout} and {@code SampleCache} for sampled
 * prompts), sparsemax/spmax (§4.1), the LM-prior filter F_I (§4.2) and the hyperparameter record
 * of §8. Constants in differentiated code go through {@code Scalars} (why: its comment). Section
 * numbers in comments refer to shared/spec/ALGORITHMS.md.
 */
package dev.pin.policy.algorithm;
