package dev.pin.scorer.bench;

import dev.pin.models.onnx.Precision;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.scorer.naturalness.MaskedLmNaturalness;
import dev.pin.scorer.naturalness.MaskedScoringLm;
import dev.pin.scorer.naturalness.NaiveNaturalness;
import dev.pin.scorer.naturalness.NaturalnessResult;
import dev.pin.scorer.naturalness.OrtMaskedScoringLm;
import dev.pin.scorer.naturalness.PriorTopK;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Pseudo-perplexity throughput (prompts/s) of the batched scorer against the naive baseline that
 * runs one forward pass per masked copy, measured in the same process on the same prompts.
 *
 * <p>Run from the repository root (after {@code mvn -o -pl scorer-service -am test-compile
 * dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt
 * -Dmdep.includeScope=test}):
 * <pre>
 * java -Dai.djl.offline=true -cp scorer-service/target/test-classes:scorer-service/target/classes:$(cat scorer-service/target/test-classpath.txt) \
 *     dev.pin.scorer.bench.NaturalnessBenchmark \
 *     [model] [prompts] [tokens] [intra-op threads] [reps] [FP32|INT8]
 * </pre>
 * Defaults: {@code bert-base-uncased} from the default model store (the tiny random BERT when it
 * is not imported), 64 prompts of 5 tokens, 2 ORT threads, 3 repetitions (median reported),
 * FP32 ({@code INT8} needs {@code pin models import --int8}).
 */
public final class NaturalnessBenchmark {
  private NaturalnessBenchmark() {}

  public static void main(String[] args) throws Exception {
    String model = args.length > 0 ? args[0] : "bert-base-uncased";
    int numPrompts = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    int reps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    Precision precision = args.length > 5 ? Precision.valueOf(args[5]) : Precision.FP32;

    Optional<ModelDir> dir = ModelStore.defaultStore().find(model);
    if (dir.isEmpty()) {
      System.out.println(model + " is not in " + ModelStore.defaultHome()
          + "; benchmarking the tiny random BERT instead");
      dir = Optional.of(TinyModels.bertMlm(Files.createTempDirectory("bench")
          .resolve("tiny-bert-mlm"), 1));
    }
    MaskedScoringLm lm = new OrtMaskedScoringLm(MaskedLm.open(dir.get(),
        OrtConfig.cpu(threads).withPrecision(precision)));
    List<int[]> prompts = randomPrompts(lm, numPrompts, tokens, new Random(42));
    MaskedLmNaturalness batched = new MaskedLmNaturalness(lm, 256);
    NaiveNaturalness naive = new NaiveNaturalness(lm);
    System.out.printf("model %s %s (|V| = %d), %d prompts × %d tokens, %d ORT intra-op threads,"
        + " %d cores, max batch 256 sequences%n", lm.name(), precision, lm.vocabSize(), numPrompts,
        tokens,
        threads, Runtime.getRuntime().availableProcessors());

    // Agreement first (and warm-up of both paths).
    List<NaturalnessResult> b = batched.pseudoLikelihood(prompts);
    double maxDiff = 0;
    for (int p = 0; p < prompts.size(); p++) {
      maxDiff = Math.max(maxDiff,
          Math.abs(naive.pseudoLogLikelihood(prompts.get(p)) - b.get(p).pseudoLogLikelihood()));
    }
    System.out.printf("max |PLL batched − PLL naive| = %.2e%n", maxDiff);

    double[] naiveRate = new double[reps];
    double[] batchedRate = new double[reps];
    double[] fullRate = new double[reps];
    int k = PriorTopK.defaultFor(lm.vocabSize());
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      for (int[] z : prompts) {
        naive.pseudoLogLikelihood(z);
      }
      naiveRate[r] = numPrompts / ((System.nanoTime() - t0) / 1e9);
      t0 = System.nanoTime();
      batched.pseudoLikelihood(prompts);
      batchedRate[r] = numPrompts / ((System.nanoTime() - t0) / 1e9);
      t0 = System.nanoTime();
      batched.score(prompts, k);
      fullRate[r] = numPrompts / ((System.nanoTime() - t0) / 1e9);
      System.out.printf("rep %d: naive %.1f prompts/s, batched %.1f prompts/s (×%.1f),"
          + " batched PLL + prior plausibility %.1f prompts/s%n", r + 1, naiveRate[r],
          batchedRate[r], batchedRate[r] / naiveRate[r], fullRate[r]);
    }
    double n = median(naiveRate);
    double bt = median(batchedRate);
    System.out.printf("MEDIAN pseudo-perplexity throughput: naive %.1f prompts/s, batched %.1f"
        + " prompts/s, speed-up ×%.1f; batched with prior plausibility %.1f prompts/s%n",
        n, bt, bt / n, median(fullRate));
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** Prompts of whole-word alphabetic tokens (what a policy samples), fixed seed. */
  static List<int[]> randomPrompts(MaskedScoringLm lm, int n, int tokens, Random random) {
    List<Integer> words = new ArrayList<>();
    for (int id = 0; id < lm.vocabSize(); id++) {
      String t = lm.tokenizer().token(id);
      if (t.chars().allMatch(Character::isLetter) && t.length() > 1) {
        words.add(id);
      }
    }
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] z = new int[tokens];
      for (int t = 0; t < tokens; t++) {
        z[t] = words.get(random.nextInt(words.size()));
      }
      out.add(z);
    }
    return out;
  }
}
