package dev.pin.reward.testing;

import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.backend.TaskTokenizer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic stand-in for a task LM: the logit of vocabulary id v at the mask is the number of
 * whitespace-separated words in the text that cue v (e.g. "good" cues the id of "great"). Counts
 * its calls so tests can see batching.
 */
public final class CueWordModel implements TaskLanguageModel {

  private final TaskTokenizer tokenizer;
  private final Map<String, Integer> cueToId;
  private final boolean masked;

  /** Number of logitsAt calls. */
  public final AtomicInteger calls = new AtomicInteger();
  /** Number of sequences read (forwards), over every call. */
  public final AtomicInteger rows = new AtomicInteger();

  /**
   * Creates the model.
   *
   * @param tokenizer its tokenizer
   * @param cueToId cue word (lowercase) to the vocabulary id it raises
   * @param masked masked or causal
   */
  public CueWordModel(TaskTokenizer tokenizer, Map<String, Integer> cueToId, boolean masked) {
    this.tokenizer = tokenizer;
    this.cueToId = Map.copyOf(cueToId);
    this.masked = masked;
  }

  @Override
  public String name() {
    return "cue-word-model";
  }

  @Override
  public boolean isMasked() {
    return masked;
  }

  @Override
  public TaskTokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public float[][] logitsAt(List<String> texts, int[] vocabIds) {
    calls.incrementAndGet();
    return cueLogits(texts, vocabIds);
  }

  /** The same rule on the decoded ids, so a prompt read as ids cues as its tokens spell it. */
  @Override
  public float[][] logitsAtTokens(List<int[]> tokenIds, int[] vocabIds) {
    calls.incrementAndGet();
    return cueLogits(tokenIds.stream().map(tokenizer::decode).toList(), vocabIds);
  }

  private float[][] cueLogits(List<String> texts, int[] vocabIds) {
    rows.addAndGet(texts.size());
    float[][] out = new float[texts.size()][vocabIds.length];
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      if (masked && !text.contains(tokenizer.maskToken().orElseThrow())) {
        throw new IllegalArgumentException("no mask token in: " + text);
      }
      for (String w : text.toLowerCase().split("[\\s.,!?]+")) {
        Integer id = cueToId.get(w);
        if (id == null) {
          continue;
        }
        for (int j = 0; j < vocabIds.length; j++) {
          if (vocabIds[j] == id) {
            out[i][j] += 1f;
          }
        }
      }
    }
    return out;
  }
}
