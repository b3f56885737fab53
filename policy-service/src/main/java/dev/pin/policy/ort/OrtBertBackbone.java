package dev.pin.policy.ort;

import ai.djl.ndarray.NDManager;
import dev.pin.models.onnx.BertNames;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import dev.pin.policy.qnet.MlmHead;
import dev.pin.policy.qnet.OutputHead;
import dev.pin.policy.qnet.TiedLinearHead;
import dev.pin.v1.MaskedHead;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * BERT's masked LM as the policy's left-to-right prior (ALGORITHMS.md §2, "Masked policy LM"): the
 * encoder runs in ONNX Runtime on {@code [CLS] z_0 … z_{t-1} [MASK] [SEP]} and h_t is its final
 * hidden state at [MASK]; the MLM head (dense → GELU → LayerNorm → tied decoder + bias) is rebuilt
 * from the graph's own initialisers, so the MLP sits in front of it with autograd.
 *
 * <p>Where the MLP sits is a choice ({@link MaskedHead}). {@code MASKED_HEAD_FULL} puts it in
 * front of the whole head, §2 to the letter; but the head's LayerNorm rescales the MLP's tiny
 * initial output to unit scale, so the first Q is far from 0 and a sparsemax policy starts with a
 * single token. {@code MASKED_HEAD_TIED_DECODER} (the default) treats the frozen transform as
 * part of the backbone, h′_t = LN(GELU(dense(h_t))), and forms Q = E·MLP_θ(h′_t) with the tied
 * decoder E and no bias — the shape of a causal LM's tied head, where initial Q ≈ 0 as §2
 * intends — while the LM-prior filter still ranks the full MLM logits E·h′_t + b.
 */
public final class OrtBertBackbone implements OrtBackbone {
  private final MaskedLm lm;
  private final OutputHead head;
  private final OutputHead priorHead;
  /** The frozen transform applied to h_t (tied-decoder mode), or null (full-head mode). */
  private final Transform transform;
  private final int[] specialTokenIds;
  private final int cls;
  private final int sep;
  private final int mask;

  /** dense → GELU(erf) → LayerNorm of BERT's MLM head, in Java (a few MFLOP per batch). */
  record Transform(float[] kernel, float[] bias, float[] gamma, float[] beta, int d) {
    float[] apply(float[] h) {
      // The kernel is [in, out]: walk it row by row (contiguous) and keep d running sums, rather
      // than one sum per output striding d floats per step. Each sum adds the same terms in the
      // same order as before, so the result is bit-for-bit the same.
      double[] acc = new double[d];
      for (int out = 0; out < d; out++) {
        acc[out] = bias[out];
      }
      for (int in = 0; in < d; in++) {
        float hIn = h[in];
        int row = in * d;
        for (int out = 0; out < d; out++) {
          acc[out] += hIn * kernel[row + out];
        }
      }
      float[] y = new float[d];
      for (int out = 0; out < d; out++) {
        y[out] = (float) (0.5 * acc[out] * (1 + erf(acc[out] / Math.sqrt(2))));
      }
      double mean = 0;
      for (float v : y) {
        mean += v;
      }
      mean /= d;
      double var = 0;
      for (float v : y) {
        var += (v - mean) * (v - mean);
      }
      var /= d;
      double inv = 1 / Math.sqrt(var + 1e-12);
      for (int i = 0; i < d; i++) {
        y[i] = (float) ((y[i] - mean) * inv * gamma[i] + beta[i]);
      }
      return y;
    }

    /** erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
    static double erf(double x) {
      double t = 1 / (1 + 0.3275911 * Math.abs(x));
      double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
          + t * (-1.453152027 + t * 1.061405429))));
      double r = 1 - poly * Math.exp(-x * x);
      return x >= 0 ? r : -r;
    }
  }

  private OrtBertBackbone(MaskedLm lm, OutputHead head, OutputHead priorHead,
      Transform transform, int[] specialTokenIds) {
    this.lm = lm;
    this.head = head;
    this.priorHead = priorHead;
    this.transform = transform;
    this.specialTokenIds = specialTokenIds;
    this.cls = lm.manifest().specialId("cls");
    this.sep = lm.manifest().specialId("sep");
    this.mask = lm.manifest().specialId("mask");
  }

  /** Opens a {@code bert-mlm} model; {@code manager} (PyTorch) owns the heads' weights. */
  public static OrtBertBackbone open(ModelDir model, OrtConfig ort, OrtSessions sessions,
      NDManager manager, MaskedHead mode) throws IOException {
    MaskedLm lm = MaskedLm.open(model, ort, sessions);
    int d = model.manifest().hiddenSize();
    int vocab = model.manifest().vocabSize();
    String dense = BertNames.HEAD_DENSE;
    String ln = BertNames.HEAD_LN;
    OnnxWeights w = OnnxWeights.read(model.modelFile(), Set.of(BertNames.kernel(dense),
        BertNames.bias(dense), BertNames.gamma(ln), BertNames.beta(ln),
        BertNames.WORD_EMBEDDINGS, BertNames.OUTPUT_BIAS));
    // The checkpoint stores dense kernels as [in, out]; MlmHead takes torch's [out, in].
    float[] kernel = w.get(BertNames.kernel(dense)).toFloats();
    float[] weight = new float[d * d];
    for (int in = 0; in < d; in++) {
      for (int out = 0; out < d; out++) {
        weight[out * d + in] = kernel[in * d + out];
      }
    }
    float[] embeddings = floats(w, BertNames.WORD_EMBEDDINGS);
    float[] outputBias = floats(w, BertNames.OUTPUT_BIAS);
    int[] specials = specialTokens(lm.tokenizer());
    if (mode == MaskedHead.MASKED_HEAD_FULL) {
      MlmHead head = new MlmHead(manager, weight, floats(w, BertNames.bias(dense)),
          floats(w, BertNames.gamma(ln)), floats(w, BertNames.beta(ln)), 1e-12f, embeddings,
          outputBias, vocab, d);
      return new OrtBertBackbone(lm, head, head, null, specials);
    }
    Transform transform = new Transform(kernel, floats(w, BertNames.bias(dense)),
        floats(w, BertNames.gamma(ln)), floats(w, BertNames.beta(ln)), d);
    return new OrtBertBackbone(lm, new TiedLinearHead(manager, embeddings, null, vocab, d),
        new TiedLinearHead(manager, embeddings, outputBias, vocab, d), transform, specials);
  }

  private static float[] floats(OnnxWeights weights, String name) {
    FloatTensor t = weights.get(name);
    return t.toFloats();
  }

  /**
   * Every bracketed vocabulary entry ({@code [PAD]}, {@code [UNK]}, {@code [CLS]}, {@code [SEP]},
   * {@code [MASK]}, {@code [unused0]} …) is a special token the policy must never emit (§2).
   */
  static int[] specialTokens(WordPieceTokenizer tokenizer) {
    List<Integer> ids = new ArrayList<>();
    for (int id = 0; id < tokenizer.vocabSize(); id++) {
      String token = tokenizer.token(id);
      if (token.length() > 2 && token.startsWith("[") && token.endsWith("]")) {
        ids.add(id);
      }
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The backbone's tokenizer, to turn sampled ids into text. */
  public WordPieceTokenizer tokenizer() {
    return lm.tokenizer();
  }

  @Override
  public String token(int id) {
    return lm.tokenizer().token(id);
  }

  @Override
  public String decode(int[] ids) {
    return lm.tokenizer().decode(ids);
  }

  @Override
  public int vocabSize() {
    return lm.manifest().vocabSize();
  }

  @Override
  public int hiddenSize() {
    return lm.manifest().hiddenSize();
  }

  @Override
  public int[] specialTokenIds() {
    return specialTokenIds.clone();
  }

  @Override
  public float[][] hiddenStates(List<int[]> prefixes) {
    List<int[]> inputs = new ArrayList<>(prefixes.size());
    int[] maskAt = new int[prefixes.size()];
    for (int i = 0; i < prefixes.size(); i++) {
      int[] prefix = prefixes.get(i);
      int[] ids = new int[prefix.length + 3];
      ids[0] = cls;
      System.arraycopy(prefix, 0, ids, 1, prefix.length);
      ids[prefix.length + 1] = mask;
      ids[prefix.length + 2] = sep;
      inputs.add(ids);
      maskAt[i] = prefix.length + 1;
    }
    float[][] h;
    try {
      h = lm.hiddenAt(inputs, maskAt);
    } catch (IOException e) {
      throw new UncheckedIOException("backbone forward failed", e);
    }
    if (transform != null) {
      for (int i = 0; i < h.length; i++) {
        h[i] = transform.apply(h[i]);
      }
    }
    return h;
  }

  @Override
  public OutputHead head() {
    return head;
  }

  @Override
  public OutputHead priorHead() {
    return priorHead;
  }

  @Override
  public void close() {
    head.close();
    if (priorHead != head) {
      priorHead.close();
    }
  }
}
