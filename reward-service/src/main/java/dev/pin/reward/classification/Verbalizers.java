package dev.pin.reward.classification;

import dev.pin.models.template.PromptTemplate;
import dev.pin.reward.backend.TaskTokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * Checks and resolves verbalizers (§6.1): every label word must be exactly one token of the task
 * model's vocabulary, in the form the template puts it in, and no two classes may share a token.
 *
 * <p>The word is tokenized the way it appears in the model input: with a leading space when the
 * template places one before the mask (byte-level BPE then yields {@code "Ġgreat"}), and through
 * the tokenizer's own normaliser (an uncased vocabulary lowercases {@code "World"}).
 */
public final class Verbalizers {

  /** One verbalizer that failed the check. */
  public record Problem(int index, String message) {}

  /**
   * The outcome of a check.
   *
   * @param tokens the vocabulary token of each word ({@code null} where it failed)
   * @param ids the vocabulary id of each word (-1 where it failed)
   * @param problems the failures, in verbalizer order; empty when every word passed
   */
  public record Resolution(List<String> tokens, int[] ids, List<Problem> problems) {

    /**
     * Whether every verbalizer is a unique single token.
     *
     * @return true when there are no problems
     */
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  private Verbalizers() {}

  /**
   * Resolves label words to vocabulary ids.
   *
   * @param words the label words in class order
   * @param tokenizer the task model's tokenizer
   * @param followsSpace whether the template puts a space before the label word (see {@link
   *     PromptTemplate#labelWordFollowsSpace})
   * @param modelName the task model's name, for messages
   * @return ids, tokens and the problems found
   */
  public static Resolution resolve(
      List<String> words, TaskTokenizer tokenizer, boolean followsSpace, String modelName) {
    int n = words.size();
    List<String> tokens = new ArrayList<>(n);
    int[] ids = new int[n];
    List<Problem> problems = new ArrayList<>();
    Map<Integer, Integer> firstIndexById = new HashMap<>();
    for (int i = 0; i < n; i++) {
      String word = words.get(i);
      ids[i] = -1;
      tokens.add(null);
      if (word.isBlank()) {
        problems.add(new Problem(i, "the label word is empty"));
        continue;
      }
      String surface = word.strip();
      String asPlaced = followsSpace ? " " + surface : surface;
      List<String> pieces = tokenizer.tokenize(asPlaced);
      if (pieces.size() != 1) {
        problems.add(
            new Problem(
                i,
                String.format(
                    "\"%s\" is not one token of model %s: its tokenizer splits \"%s\" into %s"
                        + " (%d tokens); choose a label word that is a single token",
                    word, modelName, asPlaced, quoted(pieces), pieces.size())));
        continue;
      }
      String token = pieces.get(0);
      OptionalInt id = tokenizer.tokenToId(token);
      if (id.isEmpty()) {
        problems.add(
            new Problem(
                i,
                String.format(
                    "\"%s\" tokenizes to \"%s\", which is not in the vocabulary of model %s",
                    word, token, modelName)));
        continue;
      }
      Integer earlier = firstIndexById.putIfAbsent(id.getAsInt(), i);
      if (earlier != null) {
        problems.add(
            new Problem(
                i,
                String.format(
                    "\"%s\" is the same token (\"%s\", id %d) as verbalizers[%d] \"%s\"; every"
                        + " class needs its own label word",
                    word, token, id.getAsInt(), earlier, words.get(earlier))));
        continue;
      }
      tokens.set(i, token);
      ids[i] = id.getAsInt();
    }
    return new Resolution(
        java.util.Collections.unmodifiableList(tokens), ids, List.copyOf(problems));
  }

  private static String quoted(List<String> pieces) {
    return pieces.stream().map(p -> "\"" + p + "\"").collect(Collectors.joining(", ", "[", "]"));
  }
}
