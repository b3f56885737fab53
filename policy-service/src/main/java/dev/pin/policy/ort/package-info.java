/**
 * ONNX-Runtime-specific parts of the policy: frozen backbones whose forward runs in ONNX Runtime
 * while the trainable parts stay in PyTorch. The RL code sees only {@link
 * dev.pin.policy.qnet.Backbone}.
 */
package dev.pin.policy.ort;
