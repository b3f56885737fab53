package dev.pin.models.ort;

import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A GPT-2-style causal LM (architecture {@code gpt2-clm}) on ONNX Runtime: next-token logits, the
 * final hidden state of a prefix (the causal policy's {@code h_t}, ALGORITHMS.md §2) and sequence
 * log-likelihoods for perplexity (§7.3). The batch methods right-pad sequences with the pad token
 * under a zero attention mask, which the causal mask makes invisible to real positions, and
 * recompute their prefixes; {@link #startDecoding} decodes incrementally over the graph's
 * key/value cache (left padding, see {@link DecodingState}). Thread-safe.
 */
public final class CausalLm {
  private final ModelDir model;
  private final CausalRunner runner;

  private CausalLm(ModelDir model, CausalRunner runner) {
    this.model = model;
    this.runner = runner;
  }

  /** Opens {@code model} through the process-wide {@link OrtSessions#shared()} registry. */
  public static CausalLm open(ModelDir model, OrtConfig config) throws IOException {
    return open(model, config, OrtSessions.shared());
  }

  /** Opens {@code model} through {@code sessions}. */
  public static CausalLm open(ModelDir model, OrtConfig config, OrtSessions sessions)
      throws IOException {
    ModelManifest m = model.manifest();
    if (!isCausal(m.architecture())) {
      throw new IllegalArgumentException("model " + model.name() + " has architecture "
          + m.architecture() + ", not a causal LM (" + ModelManifest.ARCH_GPT2_CLM + ", "
          + ModelManifest.ARCH_OPT_CLM + ")");
    }
    // Padding columns' position id when the graph takes position_ids: HF's generate fills 1 for
    // GPT-2; OPT's cumsum(mask)·mask − 1 gives −1, which its offset of 2 maps to the pad row.
    long padPosition = ModelManifest.ARCH_OPT_CLM.equals(m.architecture()) ? -1 : 1;
    return new CausalLm(model, new CausalRunner(model.name(),
        sessions.session(model.modelFile(config.precision()), config), config, m, padPosition));
  }

  /** Whether {@code architecture} is one this class runs (GPT-2 or OPT). */
  public static boolean isCausal(String architecture) {
    return ModelManifest.ARCH_GPT2_CLM.equals(architecture)
        || ModelManifest.ARCH_OPT_CLM.equals(architecture);
  }

  /**
   * Whether the model's HF tokenizer starts every input with {@code bos}: OPT's prepends {@code
   * </s>} (id 2), GPT-2's adds nothing. Callers that tokenize text prepend it themselves.
   */
  public boolean prependsBos() {
    return ModelManifest.ARCH_OPT_CLM.equals(manifest().architecture());
  }

  /**
   * Runs {@code prompts} (left-padded into one batch) and returns the decoding state holding their
   * key/value cache, next-token logits and last hidden states; the caller closes it.
   *
   * @throws IllegalStateException when the model's graph has no cache (imported before it had)
   */
  public DecodingState startDecoding(List<int[]> prompts) throws IOException {
    return DecodingState.start(runner, prompts);
  }

  /** Whether the graph has a key/value cache (needed by {@link #startDecoding}). */
  public boolean supportsIncrementalDecoding() {
    return runner.hasCache();
  }

  /** The manifest (special-token ids, sizes). */
  public ModelManifest manifest() {
    return model.manifest();
  }

  /** The model directory. */
  public ModelDir model() {
    return model;
  }

  /** Logits for the token after each sequence's last token, {@code [batch][vocab]}. */
  public float[][] nextTokenLogits(List<int[]> prefixes) throws IOException {
    int[] last = new int[prefixes.size()];
    for (int b = 0; b < last.length; b++) {
      last[b] = prefixes.get(b).length - 1;
    }
    return runner.logitsAt(prefixes, last);
  }

  /** Logits predicting position {@code positions[b] + 1} of each sequence. */
  public float[][] logitsAt(List<int[]> tokenIds, int[] positions) throws IOException {
    return runner.logitsAt(tokenIds, positions);
  }

  /** Logits at every position, {@code [batch][own length][vocab]}. */
  public float[][][] logits(List<int[]> tokenIds) throws IOException {
    return runner.logits(tokenIds);
  }

  /** Final hidden state (after {@code ln_f}) at the last token of each prefix. */
  public float[][] lastHidden(List<int[]> prefixes) throws IOException {
    int[] last = new int[prefixes.size()];
    for (int b = 0; b < last.length; b++) {
      last[b] = prefixes.get(b).length - 1;
    }
    return runner.hiddenAt(prefixes, last);
  }

  /** Final hidden states, {@code [batch][own length][hidden]}. */
  public float[][][] lastHiddenState(List<int[]> tokenIds) throws IOException {
    return runner.lastHiddenState(tokenIds);
  }

  /**
   * Per-token log-probabilities {@code log p(z_t | z_<t)} for {@code t ≥ from} (natural log);
   * {@code from ≥ 1} because the first token has no context (prepend {@code <|endoftext|>} to
   * score it, the BOS convention of ALGORITHMS.md §7.3).
   */
  public List<double[]> tokenLogProbs(List<int[]> tokenIds, int from) throws IOException {
    if (from < 1) {
      throw new IllegalArgumentException("from must be ≥ 1, got " + from);
    }
    float[][][] logits = runner.logits(tokenIds);
    List<double[]> out = new ArrayList<>();
    for (int b = 0; b < tokenIds.size(); b++) {
      int[] ids = tokenIds.get(b);
      double[] lp = new double[Math.max(0, ids.length - from)];
      for (int t = from; t < ids.length; t++) {
        float[] row = logits[b][t - 1];
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) {
          max = Math.max(max, v);
        }
        double z = 0;
        for (float v : row) {
          z += Math.exp(v - max);
        }
        lp[t - from] = row[ids[t]] - max - Math.log(z);
      }
      out.add(lp);
    }
    return out;
  }
}
