package dev.pin.policy.ort;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.policy.qnet.OutputHead;
import dev.pin.policy.qnet.TiedLinearHead;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A causal LM as the policy's backbone (ALGORITHMS.md §2, "Causal policy LM": RLPrompt's
 * distilGPT-2, PIN's OPT). The state s_t is the start token — the manifest's {@code bos}, which
 * is {@code <|endoftext|>} for GPT-2 and {@code </s>} for OPT — followed by the sampled ids z_0 …
 * z_{t−1}; h_t is the final hidden state after the final layer norm at the last position, from
 * ONNX Runtime through {@link CausalLm#lastHidden}. W_LM is the token-embedding matrix the
 * model's head is tied to, read from the graph's own initialisers, so Q = W_LM·MLP_θ(h_t) with
 * autograd and W_LM·h_t (the LM-prior filter's ℓ, §4.2) are the model's own next-token logits.
 * Every special token of the manifest is masked out of the action space.
 *
 * <p>Each call recomputes its prefixes (T ≤ 8 tokens, so a forward of the whole prefix costs about
 * what an incremental step would).
 */
public final class OrtCausalBackbone implements OrtBackbone {
  /** The initialiser each causal architecture ties its LM head to. */
  static final Map<String, String> TIED_EMBEDDINGS =
      Map.of(ModelManifest.ARCH_GPT2_CLM, "wte.weight", "opt-clm", "embed_tokens.weight");

  private final CausalLm lm;
  private final HuggingFaceTokenizer tokenizer;
  private final TiedLinearHead head;
  private final int start;
  private final int[] specialTokenIds;

  private OrtCausalBackbone(CausalLm lm, HuggingFaceTokenizer tokenizer, TiedLinearHead head,
      int start, int[] specialTokenIds) {
    this.lm = lm;
    this.tokenizer = tokenizer;
    this.head = head;
    this.start = start;
    this.specialTokenIds = specialTokenIds;
  }

  /** Whether {@code architecture} is a causal LM this backbone can run. */
  public static boolean supports(String architecture) {
    return TIED_EMBEDDINGS.containsKey(architecture);
  }

  /**
   * Opens a causal LM ({@code gpt2-clm}, or {@code opt-clm} where the platform runs OPT);
   * {@code manager} (PyTorch) owns the head's weights.
   *
   * @throws IOException when the model cannot be run as a causal policy LM, saying why
   */
  public static OrtCausalBackbone open(ModelDir model, OrtConfig ort, OrtSessions sessions,
      NDManager manager) throws IOException {
    ModelManifest m = model.manifest();
    String embeddings = TIED_EMBEDDINGS.get(m.architecture());
    if (embeddings == null) {
      throw new IOException("model '" + model.name() + "' is a " + m.architecture()
          + ", not a causal LM (" + String.join(", ", new TreeSet<>(TIED_EMBEDDINGS.keySet()))
          + ")");
    }
    CausalLm lm;
    try {
      lm = CausalLm.open(model, ort, sessions);
    } catch (IllegalArgumentException e) {
      throw new IOException("this build cannot run model '" + model.name() + "': "
          + e.getMessage(), e);
    }
    FloatTensor e = OnnxWeights.read(model.modelFile(), Set.of(embeddings)).get(embeddings);
    if (e == null || e.shape().length != 2 || e.shape()[0] != m.vocabSize()) {
      throw new IOException("model '" + model.name() + "' has no tied embedding matrix "
          + embeddings + " [" + m.vocabSize() + ", d] among its initialisers");
    }
    int width = (int) e.shape()[1];
    if (width != m.hiddenSize()) {
      // OPT-350m's head reads project_out(h) (512 wide), not the 1024-wide final hidden state.
      throw new IOException("model '" + model.name() + "' ties its head to " + width
          + "-wide embeddings but its final hidden state is " + m.hiddenSize() + " wide; a"
          + " projection before the head is not supported as a policy backbone");
    }
    Set<Integer> specials = new TreeSet<>();
    m.specialTokens().values().forEach(t -> specials.add(t.id()));
    HuggingFaceTokenizer tokenizer = model.huggingFaceTokenizer();
    TiedLinearHead head = new TiedLinearHead(manager, e.toFloats(), null, m.vocabSize(), width);
    return new OrtCausalBackbone(lm, tokenizer, head, m.specialId("bos"),
        specials.stream().mapToInt(Integer::intValue).toArray());
  }

  @Override
  public int vocabSize() {
    return lm.manifest().vocabSize();
  }

  @Override
  public int hiddenSize() {
    return head.hiddenSize();
  }

  @Override
  public int[] specialTokenIds() {
    return specialTokenIds.clone();
  }

  /** The start token every state begins with. */
  public int startToken() {
    return start;
  }

  @Override
  public float[][] hiddenStates(List<int[]> prefixes) {
    List<int[]> inputs = new ArrayList<>(prefixes.size());
    for (int[] prefix : prefixes) {
      int[] ids = new int[prefix.length + 1];
      ids[0] = start;
      System.arraycopy(prefix, 0, ids, 1, prefix.length);
      inputs.add(ids);
    }
    try {
      return lm.lastHidden(inputs);
    } catch (IOException e) {
      throw new UncheckedIOException("backbone forward failed", e);
    }
  }

  /** W_LM = the tied embeddings, no bias: Q = 0 exactly when the MLP's output is 0 (§2). */
  @Override
  public OutputHead head() {
    return head;
  }

  @Override
  public String token(int id) {
    return tokenizer.decode(new long[] {id}, false);
  }

  @Override
  public String decode(int[] ids) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longs[i] = ids[i];
    }
    return tokenizer.decode(longs, false);
  }

  /** The underlying causal LM (for tests that compare against its own logits). */
  CausalLm lm() {
    return lm;
  }

  @Override
  public void close() {
    head.close();
    tokenizer.close();
  }
}
