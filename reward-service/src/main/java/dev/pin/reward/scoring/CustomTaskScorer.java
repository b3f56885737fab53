package dev.pin.reward.scoring;

import dev.pin.reward.custom.RewardContext;
import dev.pin.reward.custom.RewardFunction;
import dev.pin.reward.task.RegisteredTask;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.Split;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A custom reward function registered in the service (reward-service README, "Custom rewards"):
 * given every prompt of a request at once, on the scoring pool; its answer is checked (one finite
 * reward per prompt) because it is not our code.
 */
record CustomTaskScorer(RegisteredTask task, Executor pool) implements TaskScorer {

  @Override
  public PromptComputer computer(Split split, List<Integer> indices, boolean readIds) {
    RewardContext ctx = task.customContext(split, indices);
    RewardFunction fn = task.rewardFunction().orElseThrow();
    return new BatchComputer(texts -> checkedScore(fn, texts, ctx), pool);
  }

  @Override
  public List<CompletableFuture<PromptEvaluation>> evaluate(List<Prompt> prompts, Split split) {
    RewardContext ctx = task.customContext(split, List.of());
    RewardFunction fn = task.rewardFunction().orElseThrow();
    CompletableFuture<float[]> all = CompletableFuture.supplyAsync(
        () -> checkedScore(fn, prompts.stream().map(Prompt::getText).toList(), ctx), pool);
    List<CompletableFuture<PromptEvaluation>> evals = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); i++) {
      Prompt p = prompts.get(i);
      int k = i;
      evals.add(all.thenApply(r -> PromptEvaluation.newBuilder()
          .setPrompt(p)
          .setReward(r[k])
          .setExamples(ctx.examples().size())
          .build()));
    }
    return evals;
  }

  private static float[] checkedScore(RewardFunction fn, List<String> texts, RewardContext ctx) {
    float[] r = fn.score(texts, ctx);
    if (r == null || r.length != texts.size()) {
      throw new IllegalStateException("reward function '" + fn.name() + "' returned "
          + (r == null ? "null" : r.length + " rewards") + " for " + texts.size() + " prompts");
    }
    for (float v : r) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException("reward function '" + fn.name() + "' returned " + v);
      }
    }
    return r;
  }
}
