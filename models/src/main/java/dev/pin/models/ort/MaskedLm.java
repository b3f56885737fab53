package dev.pin.models.ort;

import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.List;

/**
 * A BERT masked LM (architecture {@code bert-mlm}, or RoBERTa's {@code roberta-mlm}, whose graph
 * has the same inputs and outputs) on ONNX Runtime, for callers that feed token
 * ids: the reward service's masked task LM, the policy's backbone (ALGORITHMS.md §2: hidden state
 * at the {@code [MASK]} of {@code [CLS] z_0 … z_{t-1} [MASK] [SEP]}) and the scorer's
 * pseudo-perplexity (§7.3).
 *
 * <p>Batches of unequal lengths are right-padded with {@code [PAD]} (attention mask 0) to a
 * multiple of {@link OrtConfig#lengthBucket()}. Thread-safe: the session is shared and every call
 * allocates its own tensors.
 */
public final class MaskedLm {
  private final ModelDir model;
  private final TextTokenizer textTokenizer;
  private final LmRunner runner;

  private MaskedLm(ModelDir model, LmRunner runner) throws IOException {
    this.model = model;
    this.textTokenizer = model.textTokenizer();
    this.runner = runner;
  }

  /** Opens {@code model} through the process-wide {@link OrtSessions#shared()} registry. */
  public static MaskedLm open(ModelDir model, OrtConfig config) throws IOException {
    return open(model, config, OrtSessions.shared());
  }

  /** Opens {@code model} through {@code sessions}. */
  public static MaskedLm open(ModelDir model, OrtConfig config, OrtSessions sessions)
      throws IOException {
    ModelManifest m = model.manifest();
    if (!ModelManifest.ARCH_BERT_MLM.equals(m.architecture())
        && !ModelManifest.ARCH_ROBERTA_MLM.equals(m.architecture())) {
      throw new IllegalArgumentException("model " + model.name() + " has architecture "
          + m.architecture() + ", not " + ModelManifest.ARCH_BERT_MLM + " or "
          + ModelManifest.ARCH_ROBERTA_MLM);
    }
    LmRunner runner = new LmRunner(model.name(),
        sessions.session(model.modelFile(config.precision()), config), config,
        m.specialId("pad"), m.vocabSize(), m.maxPositions(), true);
    return new MaskedLm(model, runner);
  }

  /** The model directory. */
  public ModelDir model() {
    return model;
  }

  /** The manifest (special-token ids, sizes). */
  public ModelManifest manifest() {
    return model.manifest();
  }

  /**
   * The model's WordPiece tokenizer (BERT).
   *
   * @throws IllegalStateException for a byte-level BPE model (RoBERTa): use {@link
   *     #textTokenizer()}
   */
  public WordPieceTokenizer tokenizer() {
    if (textTokenizer instanceof WordPieceTokenizer wp) {
      return wp;
    }
    throw new IllegalStateException("model " + model.name() + " (" + manifest().architecture()
        + ") has a byte-level BPE tokenizer, not WordPiece");
  }

  /** The model's tokenizer, WordPiece or byte-level BPE ({@code <s> … </s>}, {@code <mask>}). */
  public TextTokenizer textTokenizer() {
    return textTokenizer;
  }

  /**
   * Vocabulary logits at one position per sequence: row {@code b} is the MLM head's output at
   * {@code positions[b]} of {@code tokenIds.get(b)}. Only that position goes through the head.
   */
  public float[][] logitsAt(List<int[]> tokenIds, int[] positions) throws IOException {
    return runner.logitsAt(tokenIds, positions);
  }

  /** Final-layer hidden state at one position per sequence ({@code [batch][hidden]}). */
  public float[][] hiddenAt(List<int[]> tokenIds, int[] positions) throws IOException {
    return runner.hiddenAt(tokenIds, positions, manifest().hiddenSize());
  }

  /** Final-layer hidden states, {@code [batch][length of that sequence][hidden]}. */
  public float[][][] lastHiddenState(List<int[]> tokenIds) throws IOException {
    return runner.lastHiddenState(tokenIds, manifest().hiddenSize());
  }

  /** Logits at every position, {@code [batch][length of that sequence][vocab]}. */
  public float[][][] logits(List<int[]> tokenIds) throws IOException {
    return runner.logits(tokenIds);
  }

  /**
   * Pseudo-log-likelihood terms (ALGORITHMS.md §7.3, Salazar et al. 2020): for each position
   * {@code t} in {@code [from, to)}, {@code log p(z_t | z_{\t})} with {@code z_t} replaced by
   * {@code [MASK]}, natural log. All masked copies run as one batch; {@code PLL} is the sum and
   * the pseudo-perplexity {@code exp(-PLL / T)}.
   */
  public double[] pseudoLogLikelihood(int[] tokenIds, int from, int to) throws IOException {
    if (from < 0 || to > tokenIds.length || from >= to) {
      throw new IllegalArgumentException("bad range [" + from + ", " + to + ") for "
          + tokenIds.length + " tokens");
    }
    int maskId = manifest().specialId("mask");
    List<int[]> masked = new java.util.ArrayList<>();
    int[] positions = new int[to - from];
    for (int t = from; t < to; t++) {
      int[] copy = tokenIds.clone();
      copy[t] = maskId;
      masked.add(copy);
      positions[t - from] = t;
    }
    float[][] logits = logitsAt(masked, positions);
    double[] out = new double[to - from];
    for (int i = 0; i < out.length; i++) {
      float[] row = logits[i];
      double max = Double.NEGATIVE_INFINITY;
      for (float v : row) {
        max = Math.max(max, v);
      }
      double z = 0;
      for (float v : row) {
        z += Math.exp(v - max);
      }
      out[i] = row[tokenIds[from + i]] - max - Math.log(z);
    }
    return out;
  }

  /** Padded length of a batch (for tests and capacity planning). */
  int paddedLength(List<int[]> tokenIds) {
    return runner.paddedLength(tokenIds);
  }
}
