package dev.pin.policy.algorithm;

import dev.pin.models.store.ModelManifest;
import dev.pin.models.template.PromptTemplate;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.LabeledText;
import java.util.ArrayList;
import java.util.List;

/**
 * The training examples of a few-shot classification task (§6.1) as PEZ (§7.1) feeds them to
 * the task model: each example's template is split around {@code {prompt}} ({@link
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
 */
public record PezTask(List<int[]> inputs, List<int[]> slots, int[] maskPositions, int[] labels,
    int[] verbalizerIds, int pad, int cls, int sep, int mask, int promptLength) {

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
    String f = "task.classification.";
    PromptTemplate template = PromptTemplate.parse(task.getTemplate().isEmpty()
        ? PromptTemplate.DEFAULT_MASKED : task.getTemplate());
    if (template.count(PromptTemplate.PROMPT) < 1 || template.count(PromptTemplate.MASK) != 1) {
      throw new IllegalArgumentException(f + "template: PEZ needs a {prompt} and exactly one "
          + "{mask} placeholder, got \"" + template.source() + "\"");
    }
    int cls = manifest.specialId("cls");
    int sep = manifest.specialId("sep");
    int mask = manifest.specialId("mask");
    int pad = manifest.specialId("pad");
    String maskToken = manifest.specialTokens().get("mask").token();

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

    List<LabeledText> train = task.getTrainList();
    if (train.isEmpty()) {
      throw new IllegalArgumentException(f + "train: PEZ trains on the training examples; none "
          + "were given inline");
    }
    List<int[]> inputs = new ArrayList<>(train.size());
    List<int[]> slots = new ArrayList<>(train.size());
    int[] maskAt = new int[train.size()];
    int[] labels = new int[train.size()];
    for (int e = 0; e < train.size(); e++) {
      LabeledText example = train.get(e);
      if (example.getLabel() < 0 || example.getLabel() >= classes) {
        throw new IllegalArgumentException(f + "train[" + e + "].label: must be a class index "
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
        throw new IllegalArgumentException(f + "train[" + e + "].text: the input must hold the "
            + "mask token once (the template places it), got \"" + example.getText() + "\"");
      }
      if (ids.size() > maxTokens) {
        throw new IllegalArgumentException(f + "train[" + e + "].text: " + ids.size() + " tokens "
            + "with the prompt, more than the task model's " + maxTokens);
      }
      inputs.add(ids.stream().mapToInt(Integer::intValue).toArray());
      slots.add(at.stream().mapToInt(Integer::intValue).toArray());
    }
    return new PezTask(List.copyOf(inputs), List.copyOf(slots), maskAt, labels, verbalizers, pad,
        cls, sep, mask, promptLength);
  }

  /** Training examples. */
  public int size() {
    return inputs.size();
  }

  /** Classes (verbalizers). */
  public int classes() {
    return verbalizerIds.length;
  }
}
