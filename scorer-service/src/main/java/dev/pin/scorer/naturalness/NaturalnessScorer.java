package dev.pin.scorer.naturalness;

import java.io.IOException;
import java.util.List;

/**
 * What the scorer service needs from a naturalness model, masked ({@link MaskedLmNaturalness}) or
 * causal ({@link CausalLmNaturalness}): its tokenizer's view of a prompt, the numbers of §7.3 and
 * the per-token prior plausibility of §4.2, batched.
 */
public interface NaturalnessScorer {
  /** Store name of the model, recorded next to every number (§7.3). */
  String name();

  /** Vocabulary size |V| (the default prior top-k is 20 % of it, at most 10 000). */
  int vocabSize();

  /** The convention used when a request leaves it unset. */
  Convention defaultConvention();

  /** Whether this model can score {@code convention}. */
  boolean supports(Convention convention);

  /** The prompt text re-tokenised by this model's tokenizer, without special tokens around it. */
  int[] tokenize(String text);

  /** Longest prompt, in this model's tokens, that fits the model with its special tokens. */
  int maxPromptTokens();

  /** Whether {@code id} is a special token that must not appear inside a prompt. */
  boolean isSpecial(int id);

  /** The token as the vocabulary spells it (e.g. {@code ##ly}, {@code Ġgreat}). */
  String token(int id);

  /** The token's characters as they appear in a word ({@code ##ly} → {@code ly}). */
  String surface(int id);

  /**
   * Whether the token continues the previous token's word rather than starting one (WordPiece
   * {@code ##x}; a byte-level BPE piece with no leading space that starts with a letter or digit).
   */
  boolean continuesWord(int id);

  /**
   * Token positions the model processes to score a prompt of {@code numTokens} tokens under
   * {@code convention}, before padding; requests are bounded with it.
   */
  long cost(int numTokens, Convention convention);

  /**
   * Scores every prompt under {@code convention}, calling {@code beforeEachBatch} before every
   * forward pass so a caller can abandon the work by throwing.
   *
   * @param prompts token ids in this model's vocabulary, each between the convention's minimum
   *     and {@link #maxPromptTokens()} long
   * @param priorTopK k for {@link TokenScore#inPriorTopK()}, ≥ 1
   */
  List<NaturalnessResult> score(List<int[]> prompts, Convention convention, int priorTopK,
      Runnable beforeEachBatch) throws IOException;

  /** Fewest tokens a prompt needs under {@code convention} (2 without BOS, otherwise 1). */
  static int minTokens(Convention convention) {
    return convention == Convention.CAUSAL_PPL_NO_BOS ? 2 : 1;
  }
}
