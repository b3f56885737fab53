package dev.pin.policy.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.policy.algorithm.PolicyHyperparameters;
import dev.pin.policy.algorithm.PromptPolicy;
import dev.pin.policy.algorithm.RewardedTokens;
import dev.pin.policy.algorithm.SampleBatch;
import dev.pin.policy.algorithm.UpdateResult;
import dev.pin.policy.ort.OrtBackbone;
import dev.pin.policy.ort.OrtBertBackbone;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.qnet.OutputHead;
import dev.pin.v1.MaskedHead;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.TaskType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Sample and update time through the real BERT-base backbone (issue #4 item 6): B = 16 prompts of
 * T = 5 tokens on the CPU, RLPrompt's SQL (on-policy) and PIN (§4.4: replay batch 256 once the
 * buffer holds 256 prompts). The baseline is the bare backbone forward of the same B·T prefixes,
 * the part no policy on this backbone can avoid; every figure is also split into backbone
 * forward, head products (W_LM over the 30 522-token vocabulary, Q and the LM-prior logits) and
 * the rest (MLP, sampling, loss, backward, Adam).
 */
final class BertBench {
  private static final int BATCH = 16;
  private static final int STEPS = 5;

  private BertBench() {}

  static void run(int rounds, boolean sql, boolean pin) {
    Optional<ModelDir> dir = ModelStore.defaultStore().find("bert-base-uncased");
    if (dir.isEmpty()) {
      System.out.println("BERT-base: not in the model store " + ModelStore.defaultStore().home()
          + "; skipped (pin models import bert-base-uncased)");
      return;
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        OrtSessions sessions = new OrtSessions();
        OrtBertBackbone bert = OrtBertBackbone.open(dir.get(), OrtBackbone.defaultConfig(),
            sessions, manager, MaskedHead.MASKED_HEAD_TIED_DECODER)) {
      System.out.printf(Locale.ROOT, "BERT-base backbone (ONNX Runtime, tied-decoder head), "
          + "B = %d, T = %d, %d cores, %d timed rounds%n", BATCH, STEPS,
          Runtime.getRuntime().availableProcessors(), rounds);
      double bare = bareForward(bert, rounds);
      System.out.printf(Locale.ROOT, "  baseline: bare backbone forward of B·T prefixes "
          + "%.1f ms (batches padded to their longest prefix)%n", bare);
      try (OrtBertBackbone bucketed = OrtBertBackbone.open(dir.get(), OrtConfig.defaults(),
          sessions, manager, MaskedHead.MASKED_HEAD_TIED_DECODER)) {
        double padded = bareForward(bucketed, rounds);
        System.out.printf(Locale.ROOT, "  the same padded to the platform's length bucket of 8 "
            + "(the policy's setting before): %.1f ms = %.2f× baseline%n", padded,
            padded / bare);
      }
      TimedBackbone timed = new TimedBackbone(bert);
      if (sql) {
        sql(timed, rounds, bare);
      }
      if (pin) {
        pin(timed, rounds, bare);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Milliseconds of T backbone calls on B random prefixes of length t = 0 … T−1. */
  private static double bareForward(Backbone backbone, int rounds) {
    SplittableRandom random = new SplittableRandom(5);
    long total = 0;
    for (int round = -1; round < rounds; round++) { // round −1 warms ORT up
      long start = System.nanoTime();
      for (int t = 0; t < STEPS; t++) {
        List<int[]> prefixes = new ArrayList<>();
        for (int b = 0; b < BATCH; b++) {
          int[] p = new int[t];
          for (int i = 0; i < t; i++) {
            p[i] = 1_000 + random.nextInt(28_000); // ordinary word pieces, no special tokens
          }
          prefixes.add(p);
        }
        backbone.hiddenStates(prefixes);
      }
      if (round >= 0) {
        total += System.nanoTime() - start;
      }
    }
    return total / 1e6 / rounds;
  }

  private static void sql(TimedBackbone backbone, int rounds, double bare) {
    PolicyHyperparameters hp = PolicyHyperparameters.fromProto(PolicyConfig.newBuilder()
        .setSeed(1).setSoftQ(SoftQLearningConfig.getDefaultInstance()).build(),
        TaskType.TASK_TYPE_CLASSIFICATION);
    try (PromptPolicy policy = PromptPolicy.create(hp, backbone)) {
      Rewards rewards = new Rewards();
      round(policy, backbone, rewards); // warm-up of the JIT, ORT and PyTorch allocators
      Tally tally = new Tally();
      for (int r = 0; r < rounds; r++) {
        tally.add(round(policy, backbone, rewards));
      }
      tally.print("SQL, on-policy (½(v2+v3), top-256 sampling)", bare);
    }
  }

  private static void pin(TimedBackbone backbone, int rounds, double bare) {
    PolicyHyperparameters hp = PolicyHyperparameters.fromProto(PolicyConfig.newBuilder()
        .setSeed(1).setSparseTsallis(SparseTsallisConfig.getDefaultInstance()).build(),
        TaskType.TASK_TYPE_CLASSIFICATION);
    if (hp.replayWarmup() != 256 || hp.replayBatchSize() != 256) {
      throw new IllegalStateException("expected the §4.4 replay warm-up and batch of 256: " + hp);
    }
    try (PromptPolicy policy = PromptPolicy.create(hp, backbone)) {
      Rewards rewards = new Rewards();
      Tally warmup = new Tally();
      while (true) {
        Round r = round(policy, backbone, rewards);
        if (r.updated) {
          break; // the first gradient step: untimed (warms the allocators for 256-prompt steps)
        }
        warmup.add(r);
      }
      warmup.print("PIN warm-up (replay below 256, no gradient step)", bare);
      Tally steps = new Tally();
      for (int r = 0; r < rounds; r++) {
        Round round = round(policy, backbone, rewards);
        if (!round.updated) {
          throw new IllegalStateException("a warm PIN policy skipped its gradient step");
        }
        steps.add(round);
      }
      steps.print("PIN with gradient step (v1, replay batch 256, filter k = "
          + hp.effectiveFilterTopK(policy.actionSpaceSize()) + ")", bare);
    }
  }

  /** One sample + update round, with its phases. */
  private static Round round(PromptPolicy policy, TimedBackbone backbone, Rewards rewards) {
    backbone.reset();
    long a = System.nanoTime();
    SampleBatch batch = policy.sample(BATCH, false);
    long b = System.nanoTime();
    long sampleBackbone = backbone.backboneNanos;
    long sampleHeads = backbone.headNanos;
    backbone.reset();
    List<RewardedTokens> rewarded = rewards.of(batch);
    long c = System.nanoTime();
    UpdateResult result = policy.update(rewarded);
    long d = System.nanoTime();
    return new Round(b - a, sampleBackbone, sampleHeads, d - c, backbone.backboneNanos,
        backbone.headNanos, result.updated());
  }

  private record Round(long sample, long sampleBackbone, long sampleHeads, long update,
      long updateBackbone, long updateHeads, boolean updated) {}

  /** Means over rounds. */
  private static final class Tally {
    private final List<Round> rounds = new ArrayList<>();

    void add(Round r) {
      rounds.add(r);
    }

    double mean(java.util.function.ToLongFunction<Round> f) {
      return rounds.stream().mapToLong(f).average().orElse(0) / 1e6;
    }

    void print(String label, double bare) {
      double sample = mean(Round::sample);
      double update = mean(Round::update);
      System.out.printf(Locale.ROOT, "  %s, %d rounds:%n", label, rounds.size());
      System.out.printf(Locale.ROOT, "    sample %8.1f ms = %.2f× bare forward  (backbone %.1f,"
          + " heads %.1f, rest %.1f)%n", sample, sample / bare, mean(Round::sampleBackbone),
          mean(Round::sampleHeads),
          sample - mean(Round::sampleBackbone) - mean(Round::sampleHeads));
      System.out.printf(Locale.ROOT, "    update %8.1f ms = %.2f× bare forward  (backbone %.1f,"
          + " head forwards %.1f, rest incl. backward %.1f)%n", update, update / bare,
          mean(Round::updateBackbone), mean(Round::updateHeads),
          update - mean(Round::updateBackbone) - mean(Round::updateHeads));
      System.out.printf(Locale.ROOT, "    round  %8.1f ms = %.2f× bare forward%n",
          sample + update, (sample + update) / bare);
    }
  }

  /** Seeded N(0, 1) rewards, z-scored over the step (§5) like the classification reward. */
  private static final class Rewards {
    private final SplittableRandom random = new SplittableRandom(11);

    List<RewardedTokens> of(SampleBatch batch) {
      int n = batch.prompts().size();
      double[] r = new double[n];
      double mean = 0;
      for (int i = 0; i < n; i++) {
        double u1 = 1 - random.nextDouble();
        r[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.nextDouble());
        mean += r[i] / n;
      }
      double var = 0;
      for (double x : r) {
        var += (x - mean) * (x - mean) / n;
      }
      List<RewardedTokens> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(new RewardedTokens(batch.prompts().get(i).sampleId(), null,
            (float) ((r[i] - mean) / (Math.sqrt(var) + 1e-4))));
      }
      return out;
    }
  }

  /** The backbone with its forward and its heads' products timed (PyTorch's CPU ops are eager). */
  private static final class TimedBackbone implements Backbone {
    private final Backbone inner;
    private final OutputHead head;
    private final OutputHead priorHead;
    long backboneNanos;
    long headNanos;

    TimedBackbone(Backbone inner) {
      this.inner = inner;
      this.head = new TimedHead(inner.head());
      this.priorHead = inner.priorHead() == inner.head() ? head : new TimedHead(inner.priorHead());
    }

    void reset() {
      backboneNanos = 0;
      headNanos = 0;
    }

    @Override
    public int vocabSize() {
      return inner.vocabSize();
    }

    @Override
    public int hiddenSize() {
      return inner.hiddenSize();
    }

    @Override
    public int[] specialTokenIds() {
      return inner.specialTokenIds();
    }

    @Override
    public float[][] hiddenStates(List<int[]> prefixes) {
      long start = System.nanoTime();
      try {
        return inner.hiddenStates(prefixes);
      } finally {
        backboneNanos += System.nanoTime() - start;
      }
    }

    @Override
    public OutputHead head() {
      return head;
    }

    @Override
    public OutputHead priorHead() {
      return priorHead;
    }

    private final class TimedHead implements OutputHead {
      private final OutputHead inner;

      TimedHead(OutputHead inner) {
        this.inner = inner;
      }

      @Override
      public int hiddenSize() {
        return inner.hiddenSize();
      }

      @Override
      public int vocabSize() {
        return inner.vocabSize();
      }

      @Override
      public NDArray logits(NDArray x) {
        long start = System.nanoTime();
        try {
          return inner.logits(x);
        } finally {
          headNanos += System.nanoTime() - start;
        }
      }

      @Override
      public NDArray logitsAt(NDArray x, NDArray ids) {
        long start = System.nanoTime();
        try {
          return inner.logitsAt(x, ids);
        } finally {
          headNanos += System.nanoTime() - start;
        }
      }

      @Override
      public void close() {
        // The wrapped backbone owns the weights.
      }
    }
  }
}
