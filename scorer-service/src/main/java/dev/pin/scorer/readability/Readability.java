package dev.pin.scorer.readability;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Token-level scrutability proxies of a prompt (the scorer-service README defines each one);
 * inputs are the prompt's tokens in the scoring model's vocabulary, so every proxy is computed over
 * the same T tokens as the model's naturalness numbers.
 */
public final class Readability {
  /** WordPiece marks a piece that continues the previous token's word with this prefix. */
  public static final String CONTINUATION = "##";

  private Readability() {}

  /**
   * Share of the T tokens that are whole dictionary words: token t counts when it is not a
   * continuation piece ({@code ##x}), the next token does not continue it (so it is the whole
   * word, not the first piece of a longer one), and it is in {@code words}. Punctuation, [UNK] and
   * word pieces count as not words. NaN for an empty prompt.
   */
  public static double dictionaryWordShare(List<String> tokens, WordList words) {
    if (tokens.isEmpty()) {
      return Double.NaN;
    }
    int whole = 0;
    for (int t = 0; t < tokens.size(); t++) {
      String token = tokens.get(t);
      boolean continued = t + 1 < tokens.size() && tokens.get(t + 1).startsWith(CONTINUATION);
      if (!token.startsWith(CONTINUATION) && !continued && words.contains(token)) {
        whole++;
      }
    }
    return (double) whole / tokens.size();
  }

  /**
   * Share of the T tokens that repeat an earlier token of the prompt: (T − distinct ids) / T.
   * No repeats give 0; five copies of one token give 4/5 = 0.8. NaN for an empty prompt.
   */
  public static double repetition(int[] tokenIds) {
    if (tokenIds.length == 0) {
      return Double.NaN;
    }
    Set<Integer> seen = new HashSet<>();
    int repeats = 0;
    for (int id : tokenIds) {
      if (!seen.add(id)) {
        repeats++;
      }
    }
    return (double) repeats / tokenIds.length;
  }
}
