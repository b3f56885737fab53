package dev.pin.reward.scoring;

import dev.pin.reward.task.RegisteredTask;
import dev.pin.reward.task.UnsupportedTaskRequestException;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.PromptScore;
import dev.pin.v1.Split;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What one task type does with a registered task's prompts (ALGORITHMS.md §6): classification,
 * style transfer, image inversion and custom rewards each implement it once, and {@link
 * RewardEngine} makes one per registered task, so request handling (cache, deduplication, metrics,
 * statuses) never switches on the task type.
 */
interface TaskScorer {

  /** The registered task this scorer serves. */
  RegisteredTask task();

  /**
   * Checks a request's prompts before any work is queued (INVALID_ARGUMENT naming the prompt).
   * Only classification reads prompts as token ids; the other types refuse {@code read_token_ids}
   * (FAILED_PRECONDITION), since their models read text or, for custom rewards, are given text.
   *
   * @param prompts the request's prompts
   * @param readIds whether the request asks to read the prompts' token ids
   */
  default void checkPrompts(List<Prompt> prompts, boolean readIds) {
    if (readIds) {
      throw new UnsupportedTaskRequestException("read_token_ids: task " + task().handle()
          + " is a " + task().type() + " task; only classification tasks (masked or causal task"
          + " LM) can read a prompt's token ids, the other task types read its text");
    }
  }

  /**
   * Computes prompts' detailed scores on a split's examples (Score).
   *
   * @param split the split
   * @param indices the example subset (empty: all)
   * @param readIds read prompts as token ids rather than text
   * @return the computer; the engine calls {@link PromptComputer#compute} for each prompt that
   *     missed the cache, then {@link PromptComputer#flush}
   */
  PromptComputer computer(Split split, List<Integer> indices, boolean readIds);

  /**
   * The task's metrics of prompts on a whole split (Evaluate), one future per prompt.
   *
   * @param prompts the prompts
   * @param split the split
   * @return the evaluations, in prompt order
   */
  List<CompletableFuture<PromptEvaluation>> evaluate(List<Prompt> prompts, Split split);

  /** Computes full (detailed) prompt scores; batch types defer their work until flush(). */
  interface PromptComputer {
    CompletableFuture<PromptScore> compute(Prompt prompt);

    default void flush() {}
  }

  /** Collects the prompts that missed the cache and scores them in one call on flush(). */
  final class BatchComputer implements PromptComputer {
    private final Function<List<String>, float[]> batch;
    private final Executor pool;
    private final List<String> texts = new ArrayList<>();
    private final CompletableFuture<float[]> results = new CompletableFuture<>();

    BatchComputer(Function<List<String>, float[]> batch, Executor pool) {
      this.batch = batch;
      this.pool = pool;
    }

    @Override
    public CompletableFuture<PromptScore> compute(Prompt prompt) {
      int k = texts.size();
      texts.add(prompt.getText());
      return results.thenApply(r -> PromptScore.newBuilder().setReward(r[k]).build());
    }

    @Override
    public void flush() {
      if (texts.isEmpty()) {
        return;
      }
      List<String> all = List.copyOf(texts);
      CompletableFuture.supplyAsync(() -> batch.apply(all), pool)
          .whenComplete((r, e) -> {
            if (e != null) {
              results.completeExceptionally(e);
            } else {
              results.complete(r);
            }
          });
    }
  }

  /**
   * A model-backed scorer built on first use and kept; a build that fails (a model missing from
   * the store) is not kept, so the next request tries again.
   *
   * @param <T> the scorer
   */
  final class Lazy<T> implements Supplier<T> {
    private final Supplier<T> build;
    private volatile T value;

    Lazy(Supplier<T> build) {
      this.build = build;
    }

    @Override
    public T get() {
      T v = value;
      if (v == null) {
        synchronized (this) {
          v = value;
          if (v == null) {
            v = build.get();
            value = v;
          }
        }
      }
      return v;
    }
  }
}
