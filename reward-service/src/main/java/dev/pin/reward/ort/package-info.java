/**
 * ONNX-Runtime-specific parts of the reward service: the model catalog over the model store and
 * the task-model adapters behind the {@link dev.pin.reward.backend} seams.
 */
package dev.pin.reward.ort;
