package dev.pin.policy.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.policy.torch.TorchMaskedLm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What one PEZ step's model work costs on the CPU (ALGORITHMS.md §7.1): forward and backward of
 * the frozen BERT-base in PyTorch ({@link TorchMaskedLm}) for B = 16 sequences of 32 tokens, the
 * loss a cross-entropy over two verbalizer logits at each row's [MASK], the gradient taken w.r.t.
 * the input embeddings. Baseline: ONNX Runtime's forward of the same batch (logits at [MASK]),
 * what the reward service pays per scored batch.
 *
 * <pre>./bench policy-service dev.pin.policy.bench.TorchBertBench [rounds]</pre>
 */
public final class TorchBertBench {
  private static final int BATCH = 16;
  private static final int TOKENS = 32;

  private TorchBertBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Optional<ModelDir> found = ModelStore.defaultStore().find("bert-base-uncased");
    if (found.isEmpty()) {
      System.out.println("bert-base-uncased is not in the model store "
          + ModelStore.defaultStore().home() + "; skipped (pin models import bert-base-uncased)");
      return;
    }
    ModelDir dir = found.get();
    int cls = dir.manifest().specialId("cls");
    int sep = dir.manifest().specialId("sep");
    int maskId = dir.manifest().specialId("mask");
    // [CLS] w … w [MASK] w … w [SEP], [MASK] at a different place per row; words from the
    // ordinary vocabulary (ids 1 996–29 611 in BERT-base-uncased).
    SplittableRandom r = new SplittableRandom(1);
    List<int[]> seqs = new ArrayList<>();
    long[] ids = new long[BATCH * TOKENS];
    long[] maskAt = new long[BATCH];
    for (int b = 0; b < BATCH; b++) {
      int[] s = new int[TOKENS];
      for (int t = 1; t < TOKENS - 1; t++) {
        s[t] = r.nextInt(1996, 29612);
      }
      s[0] = cls;
      s[TOKENS - 1] = sep;
      maskAt[b] = 1 + r.nextInt(TOKENS - 2);
      s[(int) maskAt[b]] = maskId;
      seqs.add(s);
      for (int t = 0; t < TOKENS; t++) {
        ids[b * TOKENS + t] = s[t];
      }
    }
    System.out.printf(Locale.ROOT, "BERT-base, B = %d × %d tokens, %d cores, %d timed rounds "
        + "(median)%n", BATCH, TOKENS, Runtime.getRuntime().availableProcessors(), rounds);

    double ort;
    try (OrtSessions sessions = new OrtSessions()) {
      MaskedLm lm = MaskedLm.open(dir, OrtConfig.defaults(), sessions);
      int[] positions = Arrays.stream(maskAt).mapToInt(p -> (int) p).toArray();
      ort = time(rounds, () -> {
        try {
          return lm.logitsAt(seqs, positions);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
    System.out.printf(Locale.ROOT, "  baseline: ONNX Runtime forward, logits at [MASK]: "
        + "%.0f ms%n", ort);

    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchMaskedLm lm = TorchMaskedLm.load(dir, manager)) {
      Shape shape = new Shape(BATCH, TOKENS);
      NDArray mask = manager.ones(shape, DataType.INT64);
      NDArray positions = manager.create(maskAt, new Shape(BATCH, 1));
      NDArray verbalizers = manager.create(new long[] {dir.tokenizer().id("good"),
          dir.tokenizer().id("bad")});
      NDArray columns = verbalizers.reshape(1, 1, 2).broadcast(BATCH, 1, 2);
      double[] target = new double[BATCH * 2];
      for (int b = 0; b < BATCH; b++) {
        target[2 * b + b % 2] = 1;
      }
      NDArray onehot = manager.create(target, new Shape(BATCH, 1, 2)).toType(DataType.FLOAT32,
          false);
      report("PyTorch forward, full-vocabulary logits at [MASK]", ort, time(rounds,
          () -> step(manager, s -> lm.logitsAt(lm.embed(s.create(ids, shape)), mask, null,
              positions))));
      report("PyTorch forward + backward, full-vocabulary logits", ort, time(rounds,
          () -> step(manager, s -> backward(lm.embed(s.create(ids, shape)), x ->
              lm.logitsAt(x, mask, null, positions).gather(columns, 2).logSoftmax(-1)
                  .mul(onehot).sum().neg().div(BATCH)))));
      report("PyTorch forward + backward, verbalizer logits only", ort, time(rounds,
          () -> step(manager, s -> backward(lm.embed(s.create(ids, shape)), x ->
              lm.logitsAt(x, mask, null, positions, verbalizers).logSoftmax(-1).mul(onehot)
                  .sum().neg().div(BATCH)))));
    }
  }

  private static void report(String what, double baseline, double ms) {
    System.out.printf(Locale.ROOT, "  %s: %.0f ms = %.2f× baseline%n", what, ms, ms / baseline);
  }

  /** Runs {@code body} in a manager of its own, freed after, as a PEZ step would. */
  private static Object step(NDManager parent, Function<NDManager, ?> body) {
    try (NDManager s = parent.newSubManager()) {
      Object out = body.apply(s);
      if (out instanceof NDArray a) {
        a.toFloatArray(); // waits for the result, as a caller reading it would
      }
      return null;
    }
  }

  /** d loss / d x, x the input embeddings. */
  private static NDArray backward(NDArray x, Function<NDArray, NDArray> loss) {
    x.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      collector.backward(loss.apply(x));
    }
    return x.getGradient();
  }

  /** Median wall time in ms of {@code rounds} runs after 2 warm-ups. */
  private static double time(int rounds, Supplier<?> run) {
    for (int i = 0; i < 2; i++) {
      run.get();
    }
    double[] ms = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      run.get();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms[rounds / 2];
  }
}
