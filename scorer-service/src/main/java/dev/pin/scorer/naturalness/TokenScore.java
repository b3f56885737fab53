package dev.pin.scorer.naturalness;

/**
 * How plausible one prompt token is under the LM prior given its prefix: for a masked LM the
 * distribution at {@code [MASK]} in {@code [CLS] z_<t [MASK] [SEP]}, which is exactly what PIN's
 * filter F_I ranks (ALGORITHMS.md §4.2).
 *
 * @param token the token as the vocabulary spells it
 * @param id its vocabulary id
 * @param logProb log p(z_t | prefix), natural log
 * @param rank 1 + the number of vocabulary tokens with a strictly larger logit (ties share the
 *     better rank, as the filter keeps every tied token)
 * @param inPriorTopK whether {@code rank <= k}
 */
public record TokenScore(String token, int id, double logProb, int rank, boolean inPriorTopK) {}
