package dev.pin.policy.ort;

import dev.pin.models.onnx.Precision;
import dev.pin.models.ort.OrtConfig;
import dev.pin.policy.qnet.Backbone;

/**
 * A frozen backbone loaded from a model directory, with its tokenizer's spellings so the service
 * can show sampled ids as text. The RL code sees only {@link Backbone}; this adds what a person
 * reading the prompt needs.
 */
public interface OrtBackbone extends Backbone {

  /**
   * ONNX Runtime settings for policy backbones: CPU, ORT's default thread pools, and each batch
   * padded to its own longest sequence (length bucket 1). A policy's prefixes are short and only
   * T lengths ever occur, so buckets (8 is the platform default, which bounds the shapes of the
   * reward service's arbitrary inputs) only add padding: for BERT and T = 5 the states
   * {@code [CLS] z_<t [MASK] [SEP]} are 3 … 7 tokens, 25 real positions per prompt that a bucket
   * of 8 turned into 40.
   */
  static OrtConfig defaultConfig() {
    return new OrtConfig("cpu", 0, 0, 0, 1, Precision.FP32);
  }

  /** The vocabulary entry of {@code id} as the tokenizer spells it. */
  @Override
  String token(int id);

  /** The ids as text, the way the tokenizer decodes them. */
  String decode(int[] ids);
}
