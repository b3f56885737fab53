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
    boolean[] continues = new boolean[tokens.size()];
    for (int t = 0; t < continues.length; t++) {
      continues[t] = tokens.get(t).startsWith(CONTINUATION);
    }
    return dictionaryWordShare(tokens, continues, words);
  }

  /**
   * The same rule for any subword vocabulary: token t counts when {@code continues[t]} is false
   * (it starts a word), {@code continues[t + 1]} is false (the word ends with it) and its surface
   * text is in {@code words}. NaN for an empty prompt.
   *
   * @param surfaces each token's characters as they appear in the word ({@code ##ly} → {@code ly},
   *     {@code Ġgreat} → {@code great})
   * @param continues whether each token continues the previous token's word
   */
  public static double dictionaryWordShare(List<String> surfaces, boolean[] continues,
      WordList words) {
    if (surfaces.size() != continues.length) {
      throw new IllegalArgumentException(surfaces.size() + " tokens, " + continues.length
          + " continuation flags");
    }
    if (surfaces.isEmpty()) {
      return Double.NaN;
    }
    int whole = 0;
    for (int t = 0; t < surfaces.size(); t++) {
      boolean continued = t + 1 < surfaces.size() && continues[t + 1];
      if (!continues[t] && !continued && words.contains(surfaces.get(t))) {
        whole++;
      }
    }
    return (double) whole / surfaces.size();
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
