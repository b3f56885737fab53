package dev.pin.scorer.naturalness;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Masked-LM naturalness of prompts, batched (ALGORITHMS.md §7.3 and §4.2).
 *
 * <ul>
 *   <li>Pseudo-log-likelihood (Salazar et al., 2020): {@code PLL(z) = Σ_t log p(z_t | z_\t)} from
 *       {@code [CLS] z_0 … [MASK]_t … z_{T-1} [SEP]}, one masked copy per position;
 *       pseudo-perplexity {@code exp(−PLL/T)}.
 *   <li>Prior plausibility: rank and {@code log p(z_t | z_<t)} at the {@code [MASK]} of {@code
 *       [CLS] z_<t [MASK] [SEP]}, the left-to-right prior that PIN's filter F_I uses (§2, §4.2).
 * </ul>
 *
 * <p>Every masked copy of every prompt becomes one query (sequence, position); identical queries
 * are computed once (the last position's PLL copy equals its prefix query, and prompts of one run
 * often share prefixes); queries are sorted by length so batches carry little padding, and sent
 * to the model in batches of at most {@code maxBatchSequences}. Only the masked position goes
 * through the MLM head. Thread-safe when the model is.
 */
public final class MaskedLmNaturalness implements NaturalnessScorer {
  /** WordPiece marks a piece that continues the previous token's word with this prefix. */
  private static final String CONTINUATION = "##";

  private final MaskedScoringLm lm;
  private final int maxBatchSequences;

  /**
   * @param lm the scoring LM
   * @param maxBatchSequences most sequences per forward pass (bounds memory: each row of logits is
   *     |V| floats)
   */
  public MaskedLmNaturalness(MaskedScoringLm lm, int maxBatchSequences) {
    if (maxBatchSequences < 1) {
      throw new IllegalArgumentException("maxBatchSequences must be ≥ 1, got " + maxBatchSequences);
    }
    this.lm = lm;
    this.maxBatchSequences = maxBatchSequences;
  }

  /** The scoring LM. */
  public MaskedScoringLm lm() {
    return lm;
  }

  /** Longest prompt, in the scoring model's tokens, that fits with {@code [CLS]}/{@code [SEP]}. */
  public int maxPromptTokens() {
    return lm.maxPositions() - 2;
  }

  /** The prompt text re-tokenised by the scoring model, without {@code [CLS]/[SEP]}. */
  @Override
  public int[] tokenize(String text) {
    return lm.tokenizer().ids(text);
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
    return Convention.MASKED_PSEUDO_PPL;
  }

  @Override
  public boolean supports(Convention convention) {
    return convention == Convention.MASKED_PSEUDO_PPL;
  }

  /** {@code [CLS]}, {@code [SEP]} and {@code [MASK]} would corrupt the masked copies. */
  @Override
  public boolean isSpecial(int id) {
    return id == lm.clsId() || id == lm.sepId() || id == lm.maskId();
  }

  @Override
  public String token(int id) {
    return lm.tokenizer().token(id);
  }

  @Override
  public String surface(int id) {
    String t = token(id);
    return t.startsWith(CONTINUATION) ? t.substring(CONTINUATION.length()) : t;
  }

  @Override
  public boolean continuesWord(int id) {
    return token(id).startsWith(CONTINUATION);
  }

  @Override
  public long cost(int numTokens, Convention convention) {
    return cost(numTokens);
  }

  @Override
  public List<NaturalnessResult> score(List<int[]> prompts, Convention convention, int priorTopK,
      Runnable beforeEachBatch) throws IOException {
    if (convention != Convention.MASKED_PSEUDO_PPL) {
      throw new IllegalArgumentException(lm.name() + " is a masked LM; it cannot score "
          + convention);
    }
    return score(prompts, priorTopK, beforeEachBatch);
  }

  /** A sequence and the position whose logits are read. */
  private record Query(int[] sequence, int position) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Query q && q.position == position && Arrays.equals(q.sequence, sequence);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(sequence) + position;
    }
  }

  /** Where the answer of a query goes: prompt p, token t, prior or PLL term. */
  private record Use(int prompt, int t, boolean prior) {}

  /**
   * Scores every prompt.
   *
   * @param prompts token ids in the scoring model's vocabulary, each non-empty and at most {@link
   *     #maxPromptTokens()} long
   * @param priorTopK k for {@link TokenScore#inPriorTopK()}
   */
  public List<NaturalnessResult> score(List<int[]> prompts, int priorTopK) throws IOException {
    return score(prompts, priorTopK, () -> {});
  }

  /**
   * {@link #score(List, int)}, calling {@code beforeEachBatch} before every forward pass so a
   * caller can abandon the work (by throwing) once its client has gone away.
   */
  public List<NaturalnessResult> score(List<int[]> prompts, int priorTopK,
      Runnable beforeEachBatch) throws IOException {
    if (priorTopK < 1) {
      throw new IllegalArgumentException("priorTopK must be ≥ 1, got " + priorTopK);
    }
    return compute(prompts, priorTopK, true, beforeEachBatch);
  }

  /**
   * Token positions the encoder processes to score a prompt of {@code numTokens} tokens (before
   * padding): 2T − 1 distinct queries of at most T + 2 tokens. Callers bound requests with it.
   */
  public static long cost(int numTokens) {
    return (2L * numTokens - 1) * (numTokens + 2);
  }

  /**
   * Pseudo-log-likelihood and pseudo-perplexity only (T masked copies per prompt, no prior
   * queries); {@link NaturalnessResult#prior()} is empty.
   */
  public List<NaturalnessResult> pseudoLikelihood(List<int[]> prompts) throws IOException {
    return compute(prompts, 0, false, () -> {});
  }

  private List<NaturalnessResult> compute(List<int[]> prompts, int priorTopK, boolean withPrior,
      Runnable beforeEachBatch) throws IOException {
    // 1. Build the deduplicated queries.
    Map<Query, List<Use>> uses = new HashMap<>();
    for (int p = 0; p < prompts.size(); p++) {
      int[] z = prompts.get(p);
      if (z.length == 0 || z.length > maxPromptTokens()) {
        throw new IllegalArgumentException("prompt " + p + " has " + z.length
            + " tokens; expected 1 to " + maxPromptTokens());
      }
      for (int t = 0; t < z.length; t++) {
        uses.computeIfAbsent(new Query(maskedCopy(z, t), t + 1), k -> new ArrayList<>())
            .add(new Use(p, t, false));
        if (withPrior) {
          uses.computeIfAbsent(new Query(prefixQuery(z, t), t + 1), k -> new ArrayList<>())
              .add(new Use(p, t, true));
        }
      }
    }
    double[][] pll = new double[prompts.size()][];
    TokenScore[][] prior = new TokenScore[prompts.size()][];
    for (int p = 0; p < prompts.size(); p++) {
      pll[p] = new double[prompts.get(p).length];
      prior[p] = new TokenScore[withPrior ? prompts.get(p).length : 0];
    }
    // 2. Run them in length-sorted batches, reading each logits row as soon as it arrives.
    List<Query> queries = new ArrayList<>(uses.keySet());
    queries.sort(Comparator.comparingInt((Query q) -> q.sequence().length));
    for (int from = 0; from < queries.size(); from += maxBatchSequences) {
      List<Query> chunk = queries.subList(from, Math.min(queries.size(), from + maxBatchSequences));
      List<int[]> sequences = new ArrayList<>(chunk.size());
      int[] positions = new int[chunk.size()];
      for (int i = 0; i < chunk.size(); i++) {
        sequences.add(chunk.get(i).sequence());
        positions[i] = chunk.get(i).position();
      }
      beforeEachBatch.run();
      float[][] logits = lm.logitsAt(sequences, positions);
      for (int i = 0; i < chunk.size(); i++) {
        float[] row = logits[i];
        double logZ = logSumExp(row);
        for (Use u : uses.get(chunk.get(i))) {
          int target = prompts.get(u.prompt())[u.t()];
          double logProb = row[target] - logZ;
          if (u.prior()) {
            int rank = rank(row, target);
            prior[u.prompt()][u.t()] = new TokenScore(lm.tokenizer().token(target), target,
                logProb, rank, rank <= priorTopK);
          } else {
            pll[u.prompt()][u.t()] = logProb;
          }
        }
      }
    }
    // 3. Sum the terms.
    List<NaturalnessResult> out = new ArrayList<>(prompts.size());
    for (int p = 0; p < prompts.size(); p++) {
      double sum = 0;
      for (double term : pll[p]) {
        sum += term;
      }
      int numTokens = pll[p].length;
      out.add(new NaturalnessResult(lm.name(), prompts.get(p).clone(), pll[p], sum,
          Math.exp(-sum / numTokens), List.of(prior[p]), priorTopK, Convention.MASKED_PSEUDO_PPL));
    }
    return out;
  }

  /** {@code [CLS] z_0 … [MASK]_t … z_{T-1} [SEP]}. */
  int[] maskedCopy(int[] z, int t) {
    int[] seq = new int[z.length + 2];
    seq[0] = lm.clsId();
    System.arraycopy(z, 0, seq, 1, z.length);
    seq[t + 1] = lm.maskId();
    seq[seq.length - 1] = lm.sepId();
    return seq;
  }

  /** {@code [CLS] z_<t [MASK] [SEP]}. */
  int[] prefixQuery(int[] z, int t) {
    int[] seq = new int[t + 3];
    seq[0] = lm.clsId();
    System.arraycopy(z, 0, seq, 1, t);
    seq[t + 1] = lm.maskId();
    seq[t + 2] = lm.sepId();
    return seq;
  }

  /** log Σ exp, in double. */
  public static double logSumExp(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    return max + Math.log(sum);
  }

  /** 1 + the number of logits strictly above {@code logits[target]}. */
  public static int rank(float[] logits, int target) {
    float x = logits[target];
    int above = 0;
    for (float l : logits) {
      if (l > x) {
        above++;
      }
    }
    return above + 1;
  }
}
