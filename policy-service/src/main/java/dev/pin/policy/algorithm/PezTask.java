package dev.pin.policy.algorithm;

import dev.pin.models.store.ModelManifest;
import dev.pin.models.template.PromptTemplate;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.LabeledText;
import java.util.ArrayList;
import java.util.List;

/**
 * The training examples of a few-shot classification task (§6.1) as PEZ (§7.1) and soft prompts
 * feed them to the task model: each example's template is split around {@code {prompt}} ({@link
 * PromptTemplate#renderAroundPrompt}), its pieces tokenised and framed {@code [CLS] … [SEP]}
 * ({@code <s> … </s>}), with L empty slots where the prompt's rows go, exactly the input the
 * reward service builds for a prompt given as token ids ({@code read_token_ids}). Immutable.
 *
 * @param inputs per example, the token ids with {@code pad} in the prompt slots
 * @param slots per example, the positions of its prompt rows: {@code slots[e][j]} holds row
 *     {@code j % L} (a template with k {@code {prompt}}s has k·L slots)
 * @param maskPositions per example, the position of the mask token
 * @param labels per example, its class
 * @param verbalizerIds the label word of each class, one token each
 * @param pad the padding id (also the filler of the slots)
 * @param cls the id that opens an input ({@code [CLS]}, {@code <s>})
 * @param sep the id that closes it ({@code [SEP]}, {@code </s>})
 * @param mask the mask token's id
 * @param promptLength L
 * @param reader how these examples were read, to read others (dev, test) the same way
 */
public record PezTask(List<int[]> inputs, List<int[]> slots, int[] maskPositions, int[] labels,
    int[] verbalizerIds, int pad, int cls, int sep, int mask, int promptLength, Reader reader) {

  /**
   * Splits the training examples of {@code task} around L prompt slots.
   *
   * @param task the classification task with its training examples inline; an empty template
   *     is the masked default {@value PromptTemplate#DEFAULT_MASKED}
   * @param tokenizer the task model's tokenizer
   * @param manifest the task model's manifest (cls, sep, mask, pad)
   * @param promptLength L
   * @param maxTokens the longest input the model reads
   * @throws IllegalArgumentException naming the field ({@code task.classification.…}) of what
   *     PEZ cannot train on
   */
  public static PezTask of(ClassificationTask task, TextTokenizer tokenizer,
      ModelManifest manifest, int promptLength, int maxTokens) {
    Reader reader = Reader.of(task, tokenizer, manifest, promptLength, maxTokens);
    if (task.getTrainList().isEmpty()) {
      throw new IllegalArgumentException("task.classification.train: PEZ trains on the training "
          + "examples; none were given inline");
    }
    return reader.read(task.getTrainList(), "task.classification.train");
  }

  /**
   * A task's template, verbalizers and special ids, checked once: reads labelled examples into
   * a {@link PezTask}.
   */
  public static final class Reader {
    private final PromptTemplate template;
    private final TextTokenizer tokenizer;
    private final int[] verbalizers;
    private final int cls;
    private final int sep;
    private final int mask;
    private final int pad;
    private final String maskToken;
    private final int promptLength;
    private final int maxTokens;

    private Reader(PromptTemplate template, TextTokenizer tokenizer, int[] verbalizers, int cls,
        int sep, int mask, int pad, String maskToken, int promptLength, int maxTokens) {
      this.template = template;
      this.tokenizer = tokenizer;
      this.verbalizers = verbalizers;
      this.cls = cls;
      this.sep = sep;
      this.mask = mask;
      this.pad = pad;
      this.maskToken = maskToken;
      this.promptLength = promptLength;
      this.maxTokens = maxTokens;
    }

    /**
     * The reader of {@code task}'s examples (its examples themselves are not read).
     *
     * @throws IllegalArgumentException naming the field ({@code task.classification.…}) of a
     *     template or verbalizer PEZ cannot train on
     */
    public static Reader of(ClassificationTask task, TextTokenizer tokenizer,
        ModelManifest manifest, int promptLength, int maxTokens) {
      String f = "task.classification.";
      PromptTemplate template = PromptTemplate.parse(task.getTemplate().isEmpty()
          ? PromptTemplate.DEFAULT_MASKED : task.getTemplate());
      if (template.count(PromptTemplate.PROMPT) < 1 || template.count(PromptTemplate.MASK) != 1) {
        throw new IllegalArgumentException(f + "template: PEZ needs a {prompt} and exactly one "
            + "{mask} placeholder, got \"" + template.source() + "\"");
      }
      int classes = task.getVerbalizersCount();
      if (classes < 2) {
        throw new IllegalArgumentException(f + "verbalizers: PEZ needs a label word per class, "
            + "at least 2, got " + classes);
      }
      int[] verbalizers = new int[classes];
      boolean space = template.labelWordFollowsSpace(true);
      for (int c = 0; c < classes; c++) {
        String word = task.getVerbalizers(c).strip();
        int[] ids = tokenizer.ids(space ? " " + word : word);
        if (ids.length != 1) {
          throw new IllegalArgumentException(f + "verbalizers[" + c + "]: \"" + word + "\" is "
              + ids.length + " tokens of the task model; a label word must be one token");
        }
        verbalizers[c] = ids[0];
      }
      return new Reader(template, tokenizer, verbalizers, manifest.specialId("cls"),
          manifest.specialId("sep"), manifest.specialId("mask"), manifest.specialId("pad"),
          manifest.specialTokens().get("mask").token(), promptLength, maxTokens);
    }

    /**
     * Splits {@code examples} around L prompt slots.
     *
     * @param path the examples' field, named in errors ({@code path[e].text: …})
     * @throws IllegalArgumentException naming the field of an example that cannot be read
     */
    public PezTask read(List<LabeledText> examples, String path) {
      int classes = verbalizers.length;
      List<int[]> inputs = new ArrayList<>(examples.size());
      List<int[]> slots = new ArrayList<>(examples.size());
      int[] maskAt = new int[examples.size()];
      int[] labels = new int[examples.size()];
      for (int e = 0; e < examples.size(); e++) {
        LabeledText example = examples.get(e);
        if (example.getLabel() < 0 || example.getLabel() >= classes) {
          throw new IllegalArgumentException(path + "[" + e + "].label: must be a class index "
              + "from 0 to " + (classes - 1) + ", got " + example.getLabel());
        }
        labels[e] = example.getLabel();
        List<Integer> ids = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        ids.add(cls);
        List<String> pieces = template.renderAroundPrompt(example.getText(), maskToken);
        for (int p = 0; p < pieces.size(); p++) {
          if (p > 0) {
            for (int j = 0; j < promptLength; j++) {
              at.add(ids.size());
              ids.add(pad);
            }
          }
          for (int id : tokenizer.ids(pieces.get(p))) {
            ids.add(id);
          }
        }
        ids.add(sep);
        maskAt[e] = ids.indexOf(mask);
        if (maskAt[e] < 0 || ids.lastIndexOf(mask) != maskAt[e]) {
          throw new IllegalArgumentException(path + "[" + e + "].text: the input must hold the "
              + "mask token once (the template places it), got \"" + example.getText() + "\"");
        }
        if (ids.size() > maxTokens) {
          throw new IllegalArgumentException(path + "[" + e + "].text: " + ids.size()
              + " tokens with the prompt, more than the task model's " + maxTokens);
        }
        inputs.add(ids.stream().mapToInt(Integer::intValue).toArray());
        slots.add(at.stream().mapToInt(Integer::intValue).toArray());
      }
      return new PezTask(List.copyOf(inputs), List.copyOf(slots), maskAt, labels,
          verbalizers.clone(), pad, cls, sep, mask, promptLength, this);
    }
  }

  /** Examples. */
  public int size() {
    return inputs.size();
  }

  /** Classes (verbalizers). */
  public int classes() {
    return verbalizerIds.length;
  }
}
