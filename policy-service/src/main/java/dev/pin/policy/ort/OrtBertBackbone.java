package dev.pin.policy.ort;

import ai.djl.ndarray.NDManager;
import dev.pin.platform.models.onnx.BertNames;
import dev.pin.platform.models.onnx.FloatTensor;
import dev.pin.platform.models.onnx.OnnxWeights;
import dev.pin.platform.models.ort.MaskedLm;
import dev.pin.platform.models.ort.OrtConfig;
import dev.pin.platform.models.ort.OrtSessions;
import dev.pin.platform.models.store.ModelDir;
import dev.pin.platform.models.tokenizer.WordPieceTokenizer;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.qnet.MlmHead;
import dev.pin.policy.qnet.OutputHead;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * BERT's masked LM as the policy's left-to-right prior (ALGORITHMS.md §2, "Masked policy LM"): the
 * encoder runs in ONNX Runtime on {@code [CLS] z_0 … z_{t-1} [MASK] [SEP]} and h_t is its final
 * hidden state at [MASK]; the MLM head (dense → GELU → LayerNorm → tied decoder + bias) is rebuilt
 * in PyTorch from the graph's own initialisers, so the MLP sits between h_t and the head with
 * autograd.
 */
public final class OrtBertBackbone implements Backbone {
  private final MaskedLm lm;
  private final MlmHead head;
  private final int[] specialTokenIds;
  private final int cls;
  private final int sep;
  private final int mask;

  private OrtBertBackbone(MaskedLm lm, MlmHead head, int[] specialTokenIds) {
    this.lm = lm;
    this.head = head;
    this.specialTokenIds = specialTokenIds;
    this.cls = lm.manifest().specialId("cls");
    this.sep = lm.manifest().specialId("sep");
    this.mask = lm.manifest().specialId("mask");
  }

  /** Opens a {@code bert-mlm} model; {@code manager} (PyTorch) owns the head's weights. */
  public static OrtBertBackbone open(ModelDir model, OrtConfig ort, OrtSessions sessions,
      NDManager manager) throws IOException {
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
    MlmHead head = new MlmHead(manager, weight, floats(w, BertNames.bias(dense)),
        floats(w, BertNames.gamma(ln)), floats(w, BertNames.beta(ln)), 1e-12f,
        floats(w, BertNames.WORD_EMBEDDINGS), floats(w, BertNames.OUTPUT_BIAS), vocab, d);
    return new OrtBertBackbone(lm, head, specialTokens(lm.tokenizer()));
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
    try {
      return lm.hiddenAt(inputs, maskAt);
    } catch (IOException e) {
      throw new UncheckedIOException("backbone forward failed", e);
    }
  }

  @Override
  public OutputHead head() {
    return head;
  }

  @Override
  public void close() {
    head.close();
  }
}
