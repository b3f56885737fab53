package dev.pin.reward.backend;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The task model's tokenizer, as the reward service needs it: to check verbalizers at registration
 * (§6.1), to explain a failing word, to bucket inputs by length and to count the input tokens that
 * bound generation (§6.2).
 *
 * <p>Implementations apply the tokenizer's own normalisation (lowercasing for uncased WordPiece)
 * and its leading-space convention: for byte-level BPE (GPT-2, RoBERTa, OPT) {@code tokenize("
 * great")} is {@code ["Ġgreat"]} while {@code tokenize("great")} is {@code ["great"]}; for
 * WordPiece the leading space makes no difference.
 */
public interface TaskTokenizer {

  /**
   * Splits text into the vocabulary's token strings, without special tokens.
   *
   * @param text raw text; a leading space is significant for byte-level BPE
   * @return token strings as the vocabulary spells them (e.g. {@code "##ness"}, {@code "Ġgreat"})
   */
  List<String> tokenize(String text);

  /**
   * Encodes text to vocabulary ids, without special tokens.
   *
   * @param text raw text
   * @return token ids
   */
  int[] encode(String text);

  /**
   * Decodes ids back to text (special tokens skipped).
   *
   * @param ids token ids
   * @return the text
   */
  String decode(int[] ids);

  /**
   * Looks up the id of a token string exactly as the vocabulary spells it.
   *
   * @param token a vocabulary entry, e.g. {@code "Ġgreat"}
   * @return its id, or empty when the vocabulary has no such entry
   */
  OptionalInt tokenToId(String token);

  /**
   * The number of ids the model reads: every id in {@code [0, vocabSize())} is a row of its
   * embedding matrix.
   *
   * @return the vocabulary size
   */
  int vocabSize();

  /**
   * Whether the tokenizer lowercases its input (uncased WordPiece): §6.1's verbalizers are then
   * written lowercase in the effective task.
   *
   * @return true when {@code "A"} reads as the token {@code "a"}
   */
  default boolean lowercases() {
    return tokenize("A").equals(List.of("a"));
  }

  /**
   * The literal mask token a masked LM reads, e.g. {@code "[MASK]"} or {@code "<mask>"}.
   *
   * @return the mask token, or empty for tokenizers of causal LMs
   */
  Optional<String> maskToken();

  /**
   * Special tokens the model adds around a single sequence ({@code [CLS]}/{@code [SEP]} is 2, GPT-2
   * adds none); used to estimate padded lengths for batching.
   *
   * @return number of added special tokens
   */
  default int specialTokenCount() {
    return 0;
  }
}
