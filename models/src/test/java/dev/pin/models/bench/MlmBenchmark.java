package dev.pin.models.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.pin.models.FillMask;
import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.Precision;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * BERT-base masked-LM throughput and the int8 variant's agreement with fp32 (issue #3 item 8), in
 * one process:
 *
 * <ol>
 *   <li>sequences/s at batch 32 and 512 of about 32 tokens ({@code {sentence} it was [MASK] .}
 *       from the SST-2 test set, cut to 32 tokens), MLM logits at the mask, for the raw ONNX
 *       Runtime Java API on the same graph file (the baseline: one session with default options,
 *       batch padded to its longest row) and for {@link MaskedLm} (the project's path: shared
 *       session, length buckets), each in fp32 and int8;
 *   <li>fill-mask top-5 of fp32 and int8 on ten sentences (overlap and top-1 agreement);
 *   <li>zero-shot SST-2 test accuracy (§6.1 template {@code {sentence} it was [MASK] .},
 *       verbalizers terrible/great) in fp32 and int8, and how often the two predict the same label.
 * </ol>
 *
 * <p>Usage: {@code ./bench models dev.pin.models.bench.MlmBenchmark [REPS] [SST2_TEST_TSV]
 * [MODEL]}. The int8 graph must exist: {@code ./pin models import bert-base-uncased --int8}.
 */
public final class MlmBenchmark {
  private static final int SEQ_LEN = 32;
  private static final List<String> FILL_MASK_SENTENCES = List.of(
      "the capital of france is [MASK] .",
      "i went to the [MASK] to buy some milk .",
      "the man worked as a [MASK] .",
      "the woman worked as a [MASK] .",
      "paris is the [MASK] of france .",
      "she picked up the phone and [MASK] her mother .",
      "the sun rises in the [MASK] .",
      "he drank a cup of [MASK] before work .",
      "the movie was [MASK] , i loved it .",
      "dogs like to chase [MASK] .");

  private MlmBenchmark() {}

  /** Runs the benchmark and prints its figures. */
  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Path sst2 = Path.of(args.length > 1 ? args[1] : "../shared/data/few-shot/sst-2/test.tsv");
    String name = args.length > 2 ? args[2] : "bert-base-uncased";
    ModelDir model = ModelStore.defaultStore().find(name).orElseThrow(() ->
        new IllegalStateException(name + " is not in the model store; run ./pin models import "
            + name + " --int8"));
    if (!model.manifest().files().containsKey(Precision.INT8.fileRole())) {
      throw new IllegalStateException(name + " has no int8 graph; run ./pin models import "
          + name + " --int8");
    }
    WordPieceTokenizer tok = model.tokenizer();
    List<Example> test = readSst2(sst2, tok, model.manifest().specialId("mask"));
    System.out.printf(Locale.ROOT, "model %s, %d SST-2 test sentences, %d cores, %d reps%n",
        name, test.size(), Runtime.getRuntime().availableProcessors(), reps);

    throughput(model, test, reps);
    fillMaskAgreement(model);
    zeroShot(model, test, tok);
  }

  // ---- 1. throughput --------------------------------------------------------------------------

  private static void throughput(ModelDir model, List<Example> test, int reps) throws Exception {
    System.out.println();
    System.out.println("1. MLM throughput, logits at the mask, sequences of <= " + SEQ_LEN
        + " tokens (median of " + reps + ")");
    System.out.printf(Locale.ROOT, "%-6s %-9s %-34s %12s %10s%n", "batch", "precision", "path",
        "seq/s", "vs raw fp32");
    OrtEnvironment env = OrtSessions.env();
    for (int batch : new int[] {32, 512}) {
      List<Example> rows = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        rows.add(cut(test.get(i % test.size())));
      }
      double rawFp32 = 0;
      for (Precision precision : Precision.values()) {
        double raw;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
            OrtSession session = env.createSession(model.modelFile(precision).toString(), opts)) {
          raw = median(reps, () -> rawRun(env, session, rows), batch);
        }
        if (precision == Precision.FP32) {
          rawFp32 = raw;
        }
        MaskedLm lm;
        try (OrtSessions sessions = new OrtSessions()) {
          lm = MaskedLm.open(model, OrtConfig.defaults().withPrecision(precision), sessions);
          List<int[]> ids = rows.stream().map(Example::ids).toList();
          int[] positions = rows.stream().mapToInt(Example::mask).toArray();
          double ours = median(reps, () -> lm.logitsAt(ids, positions), batch);
          print(batch, precision, "raw ONNX Runtime Java API", raw, rawFp32);
          print(batch, precision, "MaskedLm (shared session, buckets)", ours, rawFp32);
        }
      }
    }
  }

  private static void print(int batch, Precision p, String path, double seqPerS, double base) {
    System.out.printf(Locale.ROOT, "%-6d %-9s %-34s %12.1f %9.2fx%n", batch,
        p.name().toLowerCase(Locale.ROOT), path, seqPerS, seqPerS / base);
  }

  /** The baseline: the ORT Java API on the same graph, one batch padded to its longest row. */
  private static Object rawRun(OrtEnvironment env, OrtSession session, List<Example> rows)
      throws OrtException {
    int batch = rows.size();
    int len = rows.stream().mapToInt(r -> r.ids().length).max().orElseThrow();
    long[] ids = new long[batch * len];
    long[] mask = new long[batch * len];
    long[] positions = new long[batch];
    for (int b = 0; b < batch; b++) {
      int[] seq = rows.get(b).ids();
      for (int t = 0; t < seq.length; t++) {
        ids[b * len + t] = seq[t];
        mask[b * len + t] = 1;
      }
      positions[b] = rows.get(b).mask();
    }
    long[] shape = {batch, len};
    try (OnnxTensor i = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
        OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
        OnnxTensor tt = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch * len]),
            shape);
        OnnxTensor p = OnnxTensor.createTensor(env, LongBuffer.wrap(positions),
            new long[] {batch, 1});
        OrtSession.Result r = session.run(Map.of(BertMlmGraph.INPUT_IDS, i,
            BertMlmGraph.ATTENTION_MASK, m, BertMlmGraph.TOKEN_TYPE_IDS, tt,
            BertMlmGraph.POSITIONS, p), Set.of(BertMlmGraph.LOGITS))) {
      return ((OnnxTensor) r.get(0)).getFloatBuffer().get(0);
    }
  }

  private interface Work {
    Object run() throws Exception;
  }

  /** Median sequences/s over {@code reps} timed runs after one warm-up run. */
  private static double median(int reps, Work work, int sequences) throws Exception {
    work.run();
    double[] rates = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      work.run();
      rates[i] = sequences / ((System.nanoTime() - t0) / 1e9);
    }
    Arrays.sort(rates);
    return rates[reps / 2];
  }

  // ---- 2. fill-mask agreement -----------------------------------------------------------------

  private static void fillMaskAgreement(ModelDir model) throws IOException {
    System.out.println();
    System.out.println("2. fill-mask top-5, fp32 vs int8");
    try (OrtSessions sessions = new OrtSessions()) {
      FillMask fp32 = new FillMask(MaskedLm.open(model, OrtConfig.defaults(), sessions));
      FillMask int8 = new FillMask(MaskedLm.open(model,
          OrtConfig.defaults().withPrecision(Precision.INT8), sessions));
      int overlap = 0;
      int top1 = 0;
      for (String s : FILL_MASK_SENTENCES) {
        List<FillMask.Prediction> a = fp32.predict(s, 5);
        List<FillMask.Prediction> b = int8.predict(s, 5);
        Set<Integer> common = new HashSet<>();
        a.forEach(p -> common.add(p.id()));
        common.retainAll(b.stream().map(FillMask.Prediction::id).toList());
        overlap += common.size();
        top1 += a.get(0).id() == b.get(0).id() ? 1 : 0;
        System.out.println("  " + s);
        System.out.println("    fp32: " + format(a));
        System.out.println("    int8: " + format(b));
      }
      int n = FILL_MASK_SENTENCES.size();
      System.out.printf(Locale.ROOT, "  top-1 agreement %d/%d, top-5 overlap %d/%d (%.0f%%)%n",
          top1, n, overlap, 5 * n, 100.0 * overlap / (5 * n));
    }
  }

  private static String format(List<FillMask.Prediction> predictions) {
    StringBuilder sb = new StringBuilder();
    for (FillMask.Prediction p : predictions) {
      sb.append(String.format(Locale.ROOT, "%s %.3f  ", p.token(), p.probability()));
    }
    return sb.toString().trim();
  }

  // ---- 3. zero-shot SST-2 ---------------------------------------------------------------------

  private static void zeroShot(ModelDir model, List<Example> test, WordPieceTokenizer tok)
      throws IOException {
    System.out.println();
    System.out.println("3. zero-shot SST-2 test accuracy, \"{sentence} it was [MASK] .\","
        + " verbalizers terrible/great (" + test.size() + " sentences)");
    int terrible = tok.id("terrible");
    int great = tok.id("great");
    int[][] predictions = new int[2][];
    try (OrtSessions sessions = new OrtSessions()) {
      for (Precision precision : Precision.values()) {
        MaskedLm lm = MaskedLm.open(model, OrtConfig.defaults().withPrecision(precision),
            sessions);
        int[] predicted = new int[test.size()];
        int correct = 0;
        long t0 = System.nanoTime();
        for (int from = 0; from < test.size(); from += 64) {
          List<Example> batch = test.subList(from, Math.min(test.size(), from + 64));
          float[][] logits = lm.logitsAt(batch.stream().map(Example::ids).toList(),
              batch.stream().mapToInt(Example::mask).toArray());
          for (int b = 0; b < batch.size(); b++) {
            // Ties are wrong (§6.1): label 1 only when great strictly beats terrible.
            predicted[from + b] = logits[b][great] > logits[b][terrible] ? 1 : 0;
            correct += predicted[from + b] == batch.get(b).label() ? 1 : 0;
          }
        }
        predictions[precision.ordinal()] = predicted;
        System.out.printf(Locale.ROOT, "  %-5s accuracy %.1f%% (%d/%d) in %.1f s%n",
            precision.name().toLowerCase(Locale.ROOT), 100.0 * correct / test.size(), correct,
            test.size(), (System.nanoTime() - t0) / 1e9);
      }
    }
    int same = 0;
    for (int i = 0; i < test.size(); i++) {
      same += predictions[0][i] == predictions[1][i] ? 1 : 0;
    }
    System.out.printf(Locale.ROOT, "  int8 predicts the fp32 label for %.1f%% of sentences%n",
        100.0 * same / test.size());
  }

  // ---- data -----------------------------------------------------------------------------------

  /** One SST-2 test sentence as {@code [CLS] sentence it was [MASK] . [SEP]}, uncut. */
  private record Example(int[] ids, int mask, int label) {}

  private static List<Example> readSst2(Path tsv, WordPieceTokenizer tok, int maskId)
      throws IOException {
    List<String> lines = Files.readAllLines(tsv);
    if (lines.isEmpty() || !lines.get(0).startsWith("sentence\tlabel")) {
      throw new IOException(tsv + ": expected a 'sentence<TAB>label' header");
    }
    List<Example> out = new ArrayList<>();
    for (int n = 1; n < lines.size(); n++) {
      String line = lines.get(n);
      int tab = line.lastIndexOf('\t');
      if (tab < 0) {
        throw new IOException(tsv + ":" + (n + 1) + ": expected sentence<TAB>label");
      }
      int[] ids = tok.encode(line.substring(0, tab) + " it was [MASK] .");
      out.add(new Example(ids, indexOf(ids, maskId),
          Integer.parseInt(line.substring(tab + 1).trim())));
    }
    return out;
  }

  /** The example cut to at most {@code SEQ_LEN} tokens: sentence shortened, template kept. */
  private static Example cut(Example e) {
    if (e.ids().length <= SEQ_LEN) {
      return e;
    }
    // [CLS] sentence… it was [MASK] . [SEP]: drop sentence tokens just before "it was".
    int tail = e.ids().length - (e.mask() - 2);
    int[] ids = new int[SEQ_LEN];
    System.arraycopy(e.ids(), 0, ids, 0, SEQ_LEN - tail);
    System.arraycopy(e.ids(), e.mask() - 2, ids, SEQ_LEN - tail, tail);
    return new Example(ids, SEQ_LEN - tail + 2, e.label());
  }

  private static int indexOf(int[] ids, int id) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == id) {
        return i;
      }
    }
    throw new IllegalArgumentException("no [MASK] in the encoded template");
  }
}
