/**
 * Frozen task models rebuilt on DJL's PyTorch engine from the model store's weights, for the
 * white-box baseline that needs gradients through them: PEZ (ALGORITHMS.md §7.1) takes
 * d loss / d prompt-embeddings through a frozen masked LM ({@code TorchMaskedLm}) or, for image
 * inversion, through a CLIP's text tower ({@code TorchClipText}), which ONNX Runtime cannot give.
 * Both are built from the ONNX graphs' own float32 initialisers, so they compute what the reward
 * service's ONNX Runtime sessions compute, from the same pieces ({@code Blocks}: weights, dense,
 * LayerNorm, self-attention). The RL policies do not use this package; their backbones run in ONNX
 * Runtime ({@code dev.pin.policy.ort}).
 */
package dev.pin.policy.torch;
