package dev.pin.reward.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * A frozen task language model for classification rewards (§6.1): for each input text it returns
 * the logits of a few vocabulary ids at one position — at the mask token for a masked LM, at the
 * last position (the next-token distribution) for a causal LM.
 *
 * <p>Implementations must be thread-safe; the reward service calls {@link #logitsAt} from a bounded
 * batching executor, with texts already merged into batches of similar length.
 */
public interface TaskLanguageModel {

  /**
   * The model store name, used in error messages and metric tags.
   *
   * @return the model name, e.g. {@code "bert-base-uncased"}
   */
  String name();

  /**
   * What computes the logits: the name plus, where it varies, the precision and how it was
   * chosen. Models of different identities give different rewards, so batches never mix them.
   *
   * @return e.g. {@code "bert-base-uncased int8 (recipe w8-row, …)"}; the name by default
   */
  default String identity() {
    return name();
  }

  /**
   * A short tag of the numeric variant, "" for the model's plain (fp32) graph; it names the
   * batcher and its metrics apart from the same model's other variants.
   *
   * @return e.g. {@code "int8"}, or ""
   */
  default String variant() {
    return "";
  }

  /**
   * Whether this is a masked LM (reads logits at the mask) or a causal LM (next-token logits).
   *
   * @return true for a masked LM
   */
  boolean isMasked();

  /**
   * The model's tokenizer.
   *
   * @return the tokenizer
   */
  TaskTokenizer tokenizer();

  /**
   * Logits at the mask (masked LM: each text contains exactly one mask token) or at the last
   * position (causal LM), restricted to {@code vocabIds}.
   *
   * @param texts rendered inputs, one model sequence each
   * @param vocabIds the vocabulary ids to read, e.g. the verbalizer ids
   * @return {@code [texts.size()][vocabIds.length]} raw (pre-softmax) logits
   */
  default float[][] logitsAt(List<String> texts, int[] vocabIds) {
    List<int[]> ids = new ArrayList<>(texts.size());
    for (String text : texts) {
      ids.add(tokenizer().encode(text));
    }
    return logitsAtTokens(ids, vocabIds);
  }

  /**
   * {@link #logitsAt} for inputs given as token ids, as {@link TaskTokenizer#encode} gives them
   * (no special tokens: the model adds {@code [CLS]}/{@code [SEP]}, {@code <s>}/{@code </s>} or
   * OPT's {@code </s>} as it does for text). {@code logitsAt(texts)} equals {@code
   * logitsAtTokens(encode(texts))}; this is how a prompt's own token ids reach the model.
   *
   * @param tokenIds one sequence of ids per input (masked LM: exactly one mask id each), each id
   *     in {@code [0, tokenizer().vocabSize())}
   * @param vocabIds the vocabulary ids to read
   * @return {@code [tokenIds.size()][vocabIds.length]} raw (pre-softmax) logits
   */
  float[][] logitsAtTokens(List<int[]> tokenIds, int[] vocabIds);
}
