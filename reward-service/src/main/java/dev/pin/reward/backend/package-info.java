/**
 * Seams between the reward math and the model backend. The reward service computes rewards
 * (ALGORITHMS.md §6) from a few model outputs: token strings and ids of a task model's vocabulary,
 * task-LM logits at one position, generated text, class probabilities, token embeddings and CLIP
 * embeddings. Each is a small interface here that the service wiring implements over the ONNX
 * Runtime backend in {@code platform}; the reward packages never import an engine class, so the
 * math is tested with deterministic functions and the engine can change underneath.
 */
package dev.pin.reward.backend;
