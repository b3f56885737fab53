package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.pin.policy.qnet.Backbone;

/**
 * The policy's action space (§2): the whole vocabulary minus special tokens (padding, separators,
 * unknown, unused slots), which are masked out of sampling, values and targets; with
 * {@code policy.words_only} also minus every token that is not a whole word.
 */
public final class ActionSpace {

  /** Word-start markers of byte-level BPE (GPT-2, RoBERTa, OPT) and SentencePiece vocabularies. */
  private static final String WORD_START = "\u0120\u2581";

  /**
   * The action space of {@code backbone}: its special tokens masked and, when {@code wordsOnly},
   * every token that is not a whole word of letters (a departure from the papers, which act over
   * the whole vocabulary): WordPiece continuations ({@code ##ing}), numbers, punctuation and, in a
   * vocabulary that marks word starts ({@code Ġthe}), the unmarked pieces that continue a word.
   * BERT-base keeps 21 812 of its 30 522 tokens. Without spellings every token counts as a word.
   */
  public static ActionSpace of(Backbone backbone, boolean wordsOnly) {
    int vocab = backbone.vocabSize();
    if (!wordsOnly) {
      return new ActionSpace(vocab, backbone.specialTokenIds());
    }
    String[] spelling = new String[vocab];
    int marked = 0;
    for (int id = 0; id < vocab; id++) {
      spelling[id] = backbone.token(id);
      if (spelling[id] != null && !spelling[id].isEmpty()
          && WORD_START.indexOf(spelling[id].charAt(0)) >= 0) {
        marked++;
      }
    }
    boolean marksWordStarts = marked > vocab / 10;
    java.util.List<Integer> excluded = new java.util.ArrayList<>();
    for (int id : backbone.specialTokenIds()) {
      excluded.add(id);
    }
    for (int id = 0; id < vocab; id++) {
      if (spelling[id] != null && !isWholeWord(spelling[id], marksWordStarts)) {
        excluded.add(id);
      }
    }
    return new ActionSpace(vocab, excluded.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Latin letters only, after the word-start marker that a marking vocabulary requires. */
  static boolean isWholeWord(String token, boolean marksWordStarts) {
    String word = token;
    if (marksWordStarts) {
      if (word.isEmpty() || WORD_START.indexOf(word.charAt(0)) < 0) {
        return false;
      }
      word = word.substring(1);
    }
    return !word.isEmpty() && word.codePoints().allMatch(c -> Character.isLetter(c)
        && Character.UnicodeScript.of(c) == Character.UnicodeScript.LATIN);
  }

  private final boolean[] allowed;
  private final int size;

  /** Every id of {@code [0, vocabSize)} except {@code specialTokenIds}. */
  public ActionSpace(int vocabSize, int[] specialTokenIds) {
    allowed = new boolean[vocabSize];
    java.util.Arrays.fill(allowed, true);
    for (int id : specialTokenIds) {
      if (id >= 0 && id < vocabSize) {
        allowed[id] = false;
      }
    }
    int n = 0;
    for (boolean a : allowed) {
      n += a ? 1 : 0;
    }
    size = n;
  }

  /** |V|, including the masked ids (the width of every Q row). */
  public int vocabSize() {
    return allowed.length;
  }

  /** Number of tokens the policy may choose. */
  public int size() {
    return size;
  }

  /** True when the policy may emit {@code id}. */
  public boolean allows(int id) {
    return id >= 0 && id < allowed.length && allowed[id];
  }

  /** A copy of the mask, true = allowed. */
  public boolean[] mask() {
    return allowed.clone();
  }

  /** The mask as a boolean NDArray of shape [|V|] in {@code manager}. */
  public NDArray mask(NDManager manager) {
    return manager.create(allowed);
  }
}
