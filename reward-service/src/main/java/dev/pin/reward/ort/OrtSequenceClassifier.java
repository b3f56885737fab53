package dev.pin.reward.ort;

import dev.pin.models.ort.SequenceEncoder;
import dev.pin.reward.backend.SequenceClassifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A style or fluency classifier (§6.2) over ONNX Runtime: a {@code bert-cls} / {@code roberta-cls}
 * model directory (imported from HF, or written by {@code pin models train-classifier}). Texts are
 * framed as {@code [CLS] x [SEP]} / {@code <s> x </s>}, truncated to the model's positions,
 * batched by length with padding, and the logits softmaxed over the manifest's labels.
 */
final class OrtSequenceClassifier implements SequenceClassifier {
  private final String name;
  private final SequenceEncoder encoder;
  private final int maxBatch;

  OrtSequenceClassifier(String name, SequenceEncoder encoder, int maxBatch) {
    this.name = name;
    this.encoder = encoder;
    this.maxBatch = maxBatch;
  }

  @Override
  public String name() {
    return name;
  }

  /** The classifier's labels, in probability order. */
  List<String> labels() {
    return encoder.model().manifest().labels();
  }

  @Override
  public int labelCount() {
    return labels().size();
  }

  @Override
  public float[][] probabilities(List<String> texts) {
    int max = encoder.model().manifest().maxPositions();
    List<int[]> ids = new ArrayList<>(texts.size());
    for (String t : texts) {
      ids.add(EncoderBatches.truncate(encoder.tokenizer().encode(t), max));
    }
    try {
      List<float[]> rows = EncoderBatches.run(ids, maxBatch,
          chunk -> Arrays.asList(encoder.logits(chunk)));
      float[][] out = new float[texts.size()][];
      for (int i = 0; i < out.length; i++) {
        out[i] = softmax(rows.get(i));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("classifier " + name + " failed", e);
    }
  }

  static float[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double z = 0;
    double[] e = new double[logits.length];
    for (int i = 0; i < e.length; i++) {
      e[i] = Math.exp(logits[i] - max);
      z += e[i];
    }
    float[] p = new float[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (e[i] / z);
    }
    return p;
  }
}
