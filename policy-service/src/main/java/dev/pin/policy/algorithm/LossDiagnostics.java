package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * The §3/§4.3 losses for Q-value tables given from outside, without training: the pure function
 * behind the ComputeLoss diagnostic RPC, so an independent implementation can check ours. Runs the
 * same NDArray code as training, in float64.
 */
public final class LossDiagnostics {

  /**
   * One prompt's tables.
   *
   * @param q online Q_θ(s_t, ·): T rows of |V|
   * @param targetQ target Q_θ̄(s_t, ·): T rows of |V|
   * @param lmLogits frozen-LM logits ℓ(s_t, ·) for F_I, T rows, or null/empty for no filter (PIN)
   * @param actions a_t, T of them
   * @param reward r, attached to the last step
   */
  public record Trajectory(float[][] q, float[][] targetQ, float[][] lmLogits, int[] actions,
      float reward) {}

  /**
   * The result.
   *
   * @param loss per-step errors summed over t, averaged over the batch
   * @param perPromptLoss each prompt's loss
   * @param values V(s_t) under the algorithm's value, row-major [batch][T]
   */
  public record Result(double loss, double[] perPromptLoss, double[] values) {}

  private LossDiagnostics() {}

  /**
   * Computes the loss selected by {@code hp} (algorithm, loss kind, α, γ, filter k and ignored
   * value; the rest is ignored). The PIN filter applies when {@code hp.filterEnabled()} and every
   * prompt has LM logits.
   *
   * @throws IllegalArgumentException for an empty batch or ragged tables
   */
  public static Result compute(PolicyHyperparameters hp, List<Trajectory> batch) {
    if (batch.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    int b = batch.size();
    int steps = batch.get(0).actions().length;
    int vocab = steps == 0 ? 0 : batch.get(0).q()[0].length;
    if (steps == 0 || vocab == 0) {
      throw new IllegalArgumentException("tables need T ≥ 1 rows of |V| ≥ 1 values");
    }
    boolean filter = hp.algorithm() == PolicyHyperparameters.Algorithm.SPARSE_TSALLIS
        && hp.filterEnabled();
    double[] q = new double[b * steps * vocab];
    double[] qTarget = new double[q.length];
    float[] logits = new float[q.length];
    long[] actions = new long[b * steps];
    double[] rewards = new double[b];
    for (int i = 0; i < b; i++) {
      Trajectory tr = batch.get(i);
      filter &= tr.lmLogits() != null && tr.lmLogits().length == steps;
      check(tr.actions().length == steps, "prompt " + i + " has " + tr.actions().length
          + " actions, expected " + steps);
      for (int t = 0; t < steps; t++) {
        int a = tr.actions()[t];
        check(a >= 0 && a < vocab, "prompt " + i + " action " + a + " outside [0, " + vocab + ")");
        actions[i * steps + t] = a;
        copyRow(tr.q(), t, vocab, q, (i * steps + t) * vocab, "q", i);
        copyRow(tr.targetQ(), t, vocab, qTarget, (i * steps + t) * vocab, "target_q", i);
        if (tr.lmLogits() != null && tr.lmLogits().length == steps) {
          check(tr.lmLogits()[t].length == vocab, "prompt " + i + " lm_logits row length");
          System.arraycopy(tr.lmLogits()[t], 0, logits, (i * steps + t) * vocab, vocab);
        }
      }
      rewards[i] = tr.reward();
    }
    Shape shape = new Shape(b, steps, vocab);
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray qNd = manager.create(q, shape);
      NDArray qTargetNd = manager.create(qTarget, shape);
      NDArray actionsNd = manager.create(actions, new Shape(b, steps));
      NDArray rewardsNd = manager.create(rewards);
      LossTerms terms;
      if (hp.algorithm() == PolicyHyperparameters.Algorithm.SOFT_Q) {
        terms = SoftQLearning.loss(hp.sqlLoss(), qNd, qTargetNd, actionsNd, rewardsNd, null,
            hp.alpha(), hp.gamma());
      } else {
        NDArray keep = filter
            ? LmFilter.keep(manager.create(logits, shape), hp.effectiveFilterTopK(vocab), null)
            : null;
        terms = SparseTsallisQLearning.loss(hp.pinLoss(), qNd, qTargetNd, keep,
            (float) hp.ignoredValue(), actionsNd, rewardsNd, hp.alpha(), hp.gamma());
      }
      double[] perPrompt = terms.perPrompt().toType(DataType.FLOAT64, false).toDoubleArray();
      double[] values = terms.values().toType(DataType.FLOAT64, false).toDoubleArray();
      double loss = 0;
      for (double l : perPrompt) {
        loss += l;
      }
      return new Result(loss / b, perPrompt, values);
    }
  }

  private static void copyRow(float[][] rows, int t, int vocab, double[] out, int offset,
      String name, int prompt) {
    check(rows != null && rows.length > t && rows[t].length == vocab,
        "prompt " + prompt + " " + name + " needs T rows of " + vocab + " values");
    for (int v = 0; v < vocab; v++) {
      out[offset + v] = rows[t][v];
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
