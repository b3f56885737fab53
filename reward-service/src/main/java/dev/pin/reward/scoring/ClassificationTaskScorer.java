package dev.pin.reward.scoring;

import dev.pin.reward.backend.TaskTokenizer;
import dev.pin.reward.classification.ClassificationReward;
import dev.pin.reward.classification.ClassificationScorer;
import dev.pin.reward.task.FieldError;
import dev.pin.reward.task.RegisteredTask;
import dev.pin.reward.task.TaskValidationException;
import dev.pin.v1.ClassificationDetail;
import dev.pin.v1.LabeledText;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.PromptScore;
import dev.pin.v1.Split;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * Few-shot classification (ALGORITHMS.md §6.1): the verbalizer logits at the task LM's mask, read
 * through the batcher its task model shares with every other classification task.
 */
record ClassificationTaskScorer(RegisteredTask task, ClassificationScorer scorer)
    implements TaskScorer {

  /**
   * As token ids, every id must be a row of the task model's embeddings; as text or ids, a prompt
   * must not hold the task model's mask token: the template places the one mask the verbalizer is
   * read at, and a second would fail the whole model batch the prompt shares with other callers.
   */
  @Override
  public void checkPrompts(List<Prompt> prompts, boolean readIds) {
    if (task.taskModel().isEmpty()) {
      return;
    }
    TaskTokenizer tokenizer = task.taskModel().get().tokenizer();
    OptionalInt mask = tokenizer.maskToken().isPresent()
        ? tokenizer.tokenToId(tokenizer.maskToken().get()) : OptionalInt.empty();
    int vocab = tokenizer.vocabSize();
    List<FieldError> errors = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      if (readIds) {
        List<Integer> ids = prompts.get(i).getTokenIdsList();
        for (int t = 0; t < ids.size(); t++) {
          int id = ids.get(t);
          String field = "prompts[" + i + "].token_ids[" + t + "]";
          if (id < 0 || id >= vocab) {
            errors.add(new FieldError(field, "must be an id of the task model's vocabulary (0 to "
                + (vocab - 1) + "), got " + id + "; token_ids must be in the task model's"
                + " vocabulary for read_token_ids"));
            break;
          }
          if (mask.isPresent() && id == mask.getAsInt()) {
            errors.add(new FieldError(field, "is the task model's mask token (" + id + "), which"
                + " the template places itself"));
            break;
          }
        }
      } else if (mask.isPresent()) {
        for (int id : tokenizer.encode(prompts.get(i).getText())) {
          if (id == mask.getAsInt()) {
            errors.add(new FieldError("prompts[" + i + "].text", "contains the task model's mask "
                + "token " + tokenizer.maskToken().get() + ", which the template places itself; "
                + "remove it from the prompt"));
            break;
          }
        }
      }
    }
    if (!errors.isEmpty()) {
      throw new TaskValidationException(errors);
    }
  }

  @Override
  public PromptComputer computer(Split split, List<Integer> indices, boolean readIds) {
    List<LabeledText> examples = task.labeledExamples(split, indices);
    return p -> (readIds
            ? scorer.scoreTokenIds(
                p.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray(), examples)
            : scorer.score(p.getText(), examples))
        .thenApply(ClassificationTaskScorer::promptScore);
  }

  @Override
  public List<CompletableFuture<PromptEvaluation>> evaluate(List<Prompt> prompts, Split split) {
    List<LabeledText> examples = task.labeledExamples(split, List.of());
    List<CompletableFuture<PromptEvaluation>> evals = new ArrayList<>(prompts.size());
    for (Prompt p : prompts) {
      evals.add(scorer.score(p.getText(), examples).thenApply(r -> PromptEvaluation.newBuilder()
          .setPrompt(p)
          .setAccuracy(100f * r.argmaxAccuracy())
          .setReward(r.reward())
          .setExamples(examples.size())
          .build()));
    }
    return evals;
  }

  private static PromptScore promptScore(ClassificationReward.PromptResult r) {
    PromptScore.Builder b =
        PromptScore.newBuilder().setReward(r.reward()).setAccuracy(r.accuracy());
    for (ClassificationReward.ExampleResult e : r.examples()) {
      b.addPerExampleReward(e.reward());
      ClassificationDetail.Builder d = ClassificationDetail.newBuilder()
          .setGap(e.gap())
          .setCorrect(e.correct())
          .setPredicted(e.predicted());
      for (float p : e.probabilities()) {
        d.addProbabilities(p);
      }
      b.addClassification(d);
    }
    return b.build();
  }
}
