/**
 * Training of small heads on frozen encoders: {@link dev.pin.models.train.ClassifierTrainer}
 * fits a logistic-regression style classifier on mean-pooled encoder states and writes it as one
 * ONNX sequence-classifier model (the style classifier of ALGORITHMS.md §6.2).
 */
package dev.pin.models.train;
