package dev.pin.policy.bench;

import ai.djl.ndarray.NDManager;
import dev.pin.policy.algorithm.Bandits;
import dev.pin.policy.algorithm.PolicyHyperparameters;
import dev.pin.policy.algorithm.PromptPolicy;
import dev.pin.policy.algorithm.RewardedTokens;
import dev.pin.policy.algorithm.SampleBatch;
import dev.pin.policy.algorithm.Sparsemax;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.qnet.OutputHead;
import dev.pin.policy.qnet.TiedLinearHead;
import dev.pin.policy.qnet.TinyBackbone;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.TaskType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Prints timings (CleanRL's benchmark habit; not a unit test):
 *
 * <ol>
 *   <li>sparsemax threshold, expected-O(n) pivot vs sort, over 30 522 logits (BERT's vocabulary);
 *   <li>one sample + update round, B = 16, T = 5, on the tiny backbone, for both algorithms;
 *   <li>with {@code --bert-shapes}: the same at BERT-base shapes (|V| = 30 522, d = 768, H = 2048;
 *       hidden states are random, so the backbone forward is not counted);
 *   <li>through the real BERT-base backbone (ONNX Runtime encoder, §2 masked policy LM) when it is
 *       in the model store: sample and update for B = 16, T = 5, SQL on-policy and PIN with the
 *       §4.4 replay batch of 256 (warm-up rounds, which take no gradient step, reported apart),
 *       each with where its time goes (backbone forward, head products, the rest) and as a ratio
 *       to the bare backbone forward of the same prefixes.
 * </ol>
 *
 * <p>Run: {@code ./bench policy-service dev.pin.policy.bench.PolicyBench [--rounds N]
 * [--bert-shapes] [--no-tiny] [--no-bert] [--no-sql] [--no-pin]}.
 */
public final class PolicyBench {

  private PolicyBench() {}

  /** Entry point. */
  public static void main(String[] args) {
    System.setProperty("ai.djl.offline", "true");
    List<String> flags = List.of(args);
    sparsemax();
    if (!flags.contains("--no-tiny")) {
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
          TinyBackbone tiny = new TinyBackbone(manager, 200, 32, 8, 1)) {
        System.out.println("tiny backbone: |V| = 200, d = 32, MLP hidden 2048, B = 16, T = 5");
        rounds(PolicyHyperparameters.Algorithm.SOFT_Q, tiny, 16, 30, 100);
        rounds(PolicyHyperparameters.Algorithm.SPARSE_TSALLIS, tiny, 16, 30, 100);
      }
    }
    int rounds = flags.contains("--rounds")
        ? Integer.parseInt(flags.get(flags.indexOf("--rounds") + 1)) : 3;
    if (!flags.contains("--no-bert")) {
      BertBench.run(rounds, !flags.contains("--no-sql"), !flags.contains("--no-pin"));
    }
    if (flags.contains("--bert-shapes")) {
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
          RandomBackbone bert = new RandomBackbone(manager, 30_522, 768)) {
        System.out.println("BERT-base shapes: |V| = 30 522, d = 768, MLP hidden 2048, B = 16,"
            + " T = 5 (PIN replay batch 256); backbone forward not included");
        rounds(PolicyHyperparameters.Algorithm.SOFT_Q, bert, 16, 2, 5);
        rounds(PolicyHyperparameters.Algorithm.SPARSE_TSALLIS, bert, 16, 2, 5);
      }
    }
  }

  private static void sparsemax() {
    // Spread-out logits (σ = 3, like an LM's), and flat ones all within 1 of the max, where the
    // max − 1 pre-filter removes nothing and the pivoting does all the work.
    sparsemax("σ = 3 Gaussian", 3.0, false);
    sparsemax("uniform in [0, 0.5)", 0.5, true);
  }

  private static void sparsemax(String label, double scale, boolean uniform) {
    int n = 30_522;
    Random random = new Random(1);
    double[][] inputs = new double[64][n];
    for (double[] z : inputs) {
      for (int i = 0; i < n; i++) {
        z[i] = uniform ? random.nextDouble() * scale : random.nextGaussian() * scale;
      }
    }
    double sink = 0;
    for (int warm = 0; warm < 30; warm++) { // JIT warm-up of both paths
      for (double[] z : inputs) {
        sink += Sparsemax.threshold(z).tau() + Sparsemax.thresholdBySort(z).tau();
      }
    }
    int reps = 20;
    long t0 = System.nanoTime();
    for (int r = 0; r < reps; r++) {
      for (double[] z : inputs) {
        sink += Sparsemax.threshold(z).tau();
      }
    }
    long t1 = System.nanoTime();
    for (int r = 0; r < reps; r++) {
      for (double[] z : inputs) {
        sink += Sparsemax.thresholdBySort(z).tau();
      }
    }
    long t2 = System.nanoTime();
    double pivot = (t1 - t0) / 1e3 / (reps * inputs.length);
    double sort = (t2 - t1) / 1e3 / (reps * inputs.length);
    System.out.printf(Locale.ROOT,
        "sparsemax over %d logits (%s): O(n) %.1f µs, sort %.1f µs, sort/O(n) = %.1f"
            + " (checksum %.3f)%n", n, label, pivot, sort, sort / pivot, sink);
  }

  private static void rounds(PolicyHyperparameters.Algorithm algorithm, Backbone backbone,
      int batchSize, int warmup, int timed) {
    PolicyConfig.Builder config = PolicyConfig.newBuilder().setSeed(1);
    if (algorithm == PolicyHyperparameters.Algorithm.SOFT_Q) {
      config.setSoftQ(SoftQLearningConfig.getDefaultInstance());
    } else {
      // Warm-up of one round, so every timed round takes a full 256-prompt gradient step.
      config.setSparseTsallis(SparseTsallisConfig.getDefaultInstance())
          .setReplay(ReplayConfig.newBuilder().setEnabled(true).setWarmup(batchSize));
    }
    PolicyHyperparameters hp =
        PolicyHyperparameters.fromProto(config.build(), TaskType.TASK_TYPE_CLASSIFICATION);
    try (PromptPolicy policy = PromptPolicy.create(hp, backbone)) {
      long sampleNanos = 0;
      long updateNanos = 0;
      for (int round = 0; round < warmup + timed; round++) {
        long a = System.nanoTime();
        SampleBatch batch = policy.sample(batchSize, false);
        long b = System.nanoTime();
        List<RewardedTokens> rewards = Bandits.bandit(batch);
        long c = System.nanoTime();
        policy.update(rewards);
        long d = System.nanoTime();
        if (round >= warmup) {
          sampleNanos += b - a;
          updateNanos += d - c;
        }
      }
      System.out.printf(Locale.ROOT, "  %-14s sample %.2f ms, update %.2f ms, round %.2f ms%n",
          algorithm, sampleNanos / 1e6 / timed, updateNanos / 1e6 / timed,
          (sampleNanos + updateNanos) / 1e6 / timed);
    }
  }

  /** Deterministic random hidden states of a given width, with a random tied head. */
  private static final class RandomBackbone implements Backbone {
    private final int vocab;
    private final int d;
    private final TiedLinearHead head;

    RandomBackbone(NDManager manager, int vocab, int d) {
      this.vocab = vocab;
      this.d = d;
      SplittableRandom random = new SplittableRandom(3);
      float[] e = new float[vocab * d];
      for (int i = 0; i < e.length; i++) {
        e[i] = (float) ((random.nextDouble() - 0.5) * 0.1);
      }
      head = new TiedLinearHead(manager, e, null, vocab, d);
    }

    @Override
    public int vocabSize() {
      return vocab;
    }

    @Override
    public int hiddenSize() {
      return d;
    }

    @Override
    public int[] specialTokenIds() {
      return new int[] {0, 100, 101, 102, 103};
    }

    @Override
    public float[][] hiddenStates(List<int[]> prefixes) {
      List<float[]> out = new ArrayList<>();
      for (int[] p : prefixes) {
        SplittableRandom random = new SplittableRandom(java.util.Arrays.hashCode(p));
        float[] h = new float[d];
        for (int i = 0; i < d; i++) {
          h[i] = (float) (random.nextDouble() * 2 - 1);
        }
        out.add(h);
      }
      return out.toArray(new float[0][]);
    }

    @Override
    public OutputHead head() {
      return head;
    }

    @Override
    public void close() {
      head.close();
    }
  }
}
