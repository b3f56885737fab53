package dev.pin.scorer.naturalness;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Causal-LM perplexity of prompts, batched (ALGORITHMS.md §7.3):
 * {@code PPL(z) = exp(−(1/T) Σ_t log p(z_t | BOS, z_<t))} with the BOS convention, or the mean over
 * {@code z_1 … z_{T-1}} without it. One forward pass over {@code [BOS] z} gives every term, since
 * the logits at position t predict token t + 1; the same rows give each token's plausibility under
 * the prior given its prefix (rank among all |V| tokens and probability), which is what PIN's
 * filter F_I ranks with a causal backbone (§4.2).
 *
 * <p>Identical sequences are scored once; sequences are sorted by length and sent in batches of
 * at most {@code maxBatchPositions} token positions (each position costs |V| floats of logits,
 * 200 KB for GPT-2's 50 257). Thread-safe when the model is.
 */
public final class CausalLmNaturalness implements NaturalnessScorer {
  private final CausalScoringLm lm;
  private final int maxBatchPositions;
  private final Map<Integer, String> surfaces = new ConcurrentHashMap<>();

  /**
   * @param lm the scoring LM
   * @param maxBatchPositions most token positions per forward pass; a longer sequence runs alone
   */
  public CausalLmNaturalness(CausalScoringLm lm, int maxBatchPositions) {
    if (maxBatchPositions < 1) {
      throw new IllegalArgumentException("maxBatchPositions must be ≥ 1, got " + maxBatchPositions);
    }
    this.lm = lm;
    this.maxBatchPositions = maxBatchPositions;
  }

  /** The scoring LM. */
  public CausalScoringLm lm() {
    return lm;
  }

  @Override
  public String name() {
    return lm.name();
  }

  @Override
  public int vocabSize() {
    return lm.vocabSize();
  }

  @Override
  public Convention defaultConvention() {
    return Convention.CAUSAL_PPL_BOS;
  }

  @Override
  public boolean supports(Convention convention) {
    return convention.causal();
  }

  @Override
  public int[] tokenize(String text) {
    return lm.ids(text);
  }

  @Override
  public int maxPromptTokens() {
    return lm.maxPositions() - 1;
  }

  @Override
  public boolean isSpecial(int id) {
    return lm.isSpecial(id);
  }

  @Override
  public String token(int id) {
    return lm.token(id);
  }

  @Override
  public String surface(int id) {
    return surfaces.computeIfAbsent(id, i -> lm.decode(i).strip());
  }

  @Override
  public boolean continuesWord(int id) {
    String text = lm.decode(id);
    return !text.isEmpty() && Character.isLetterOrDigit(text.codePointAt(0));
  }

  @Override
  public long cost(int numTokens, Convention convention) {
    return convention == Convention.CAUSAL_PPL_NO_BOS ? numTokens : numTokens + 1L;
  }

  /** {@link #score(List, Convention, int, Runnable)} with nothing to check between batches. */
  public List<NaturalnessResult> score(List<int[]> prompts, Convention convention, int priorTopK)
      throws IOException {
    return score(prompts, convention, priorTopK, () -> {});
  }

  /** A model input: the prompt with BOS in front, or the prompt alone. */
  private record Sequence(int[] ids) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Sequence s && Arrays.equals(s.ids, ids);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(ids);
    }
  }

  @Override
  public List<NaturalnessResult> score(List<int[]> prompts, Convention convention, int priorTopK,
      Runnable beforeEachBatch) throws IOException {
    if (!convention.causal()) {
      throw new IllegalArgumentException(lm.name() + " is a causal LM; it cannot score "
          + convention);
    }
    if (priorTopK < 1) {
      throw new IllegalArgumentException("priorTopK must be ≥ 1, got " + priorTopK);
    }
    boolean bos = convention == Convention.CAUSAL_PPL_BOS;
    int min = NaturalnessScorer.minTokens(convention);
    // 1. One input per distinct prompt: [BOS] z_0 … z_{T-1}, or z_0 … z_{T-1}.
    Map<Sequence, List<Integer>> uses = new HashMap<>();
    for (int p = 0; p < prompts.size(); p++) {
      int[] z = prompts.get(p);
      if (z.length < min || z.length > maxPromptTokens()) {
        throw new IllegalArgumentException("prompt " + p + " has " + z.length
            + " tokens; expected " + min + " to " + maxPromptTokens() + " under " + convention);
      }
      int[] seq = z;
      if (bos) {
        seq = new int[z.length + 1];
        seq[0] = lm.bosId();
        System.arraycopy(z, 0, seq, 1, z.length);
      }
      uses.computeIfAbsent(new Sequence(seq), k -> new ArrayList<>()).add(p);
    }
    NaturalnessResult[] out = new NaturalnessResult[prompts.size()];
    // 2. Length-sorted batches bounded by token positions.
    List<Sequence> sequences = new ArrayList<>(uses.keySet());
    sequences.sort(Comparator.comparingInt((Sequence s) -> s.ids().length));
    int from = 0;
    while (from < sequences.size()) {
      // Padding makes every row of a batch as long as its last (longest) sequence.
      int to = from + 1;
      while (to < sequences.size()
          && (to - from + 1L) * sequences.get(to).ids().length <= maxBatchPositions) {
        to++;
      }
      List<Sequence> chunk = sequences.subList(from, to);
      List<int[]> batch = new ArrayList<>(chunk.size());
      chunk.forEach(s -> batch.add(s.ids()));
      beforeEachBatch.run();
      float[][][] logits = lm.logits(batch);
      for (int i = 0; i < chunk.size(); i++) {
        NaturalnessResult r = terms(chunk.get(i).ids(), logits[i], bos, convention, priorTopK);
        for (int p : uses.get(chunk.get(i))) {
          out[p] = r;
        }
      }
      from = to;
    }
    return List.of(out);
  }

  /**
   * The scored terms of one sequence: with BOS, token t of the prompt is sequence position t + 1,
   * predicted by the logits at position t; without BOS, tokens 1 … T − 1 are scored.
   */
  private NaturalnessResult terms(int[] seq, float[][] logits, boolean bos, Convention convention,
      int priorTopK) {
    int[] z = bos ? Arrays.copyOfRange(seq, 1, seq.length) : seq;
    int first = bos ? 0 : 1;
    int n = z.length - first;
    double[] terms = new double[n];
    List<TokenScore> prior = new ArrayList<>(n);
    double sum = 0;
    for (int k = 0; k < n; k++) {
      int t = first + k;
      // Sequence position of z_t is t + 1 with BOS and t without; its predictor sits one before.
      float[] row = logits[(bos ? t + 1 : t) - 1];
      int target = z[t];
      double logProb = row[target] - MaskedLmNaturalness.logSumExp(row);
      terms[k] = logProb;
      sum += logProb;
      int rank = MaskedLmNaturalness.rank(row, target);
      prior.add(new TokenScore(lm.token(target), target, logProb, rank, rank <= priorTopK));
    }
    return new NaturalnessResult(lm.name(), z.clone(), terms, sum, Math.exp(-sum / n),
        List.copyOf(prior), priorTopK, convention);
  }
}
