package dev.pin.models.bench;

import dev.pin.models.onnx.Int8Recipe;
import dev.pin.models.onnx.Precision;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import dev.pin.models.writer.BertModelWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Zero-shot SST-2 agreement of int8 recipes with fp32 (issue #13): for each recipe id given, builds
 * BERT-base's int8 graph in a scratch directory and prints, per prompt, its test accuracy, the
 * share of the 1 821 test sentences whose label agrees with fp32, and its sentences/s. A recipe
 * is acceptable when agreement is ≥ 99 % and accuracy within 0.5 points of fp32 for every prompt.
 * fp32 margins are cached under {@code /tmp/pin-int8-sweep}.
 *
 * <pre>./bench models dev.pin.models.bench.Int8RecipeSweep w7-tensor w8-row ...</pre>
 */
public final class Int8RecipeSweep {
  /** The manual prompt, the empty prompt and two odd ones (a learned one from issue #13). */
  static final List<String> PROMPTS = List.of("it was", "", "across these these all most",
      "wdkurardanrdanrdan");

  private Int8RecipeSweep() {}

  public static void main(String[] args) throws Exception {
    ModelDir model = ModelStore.defaultStore().require("bert-base-uncased");
    Path sst2 = Path.of(System.getProperty("sst2", "../shared/data/few-shot/sst-2/test.tsv"));
    int promptCount = Integer.getInteger("prompts", 2);
    List<String> prompts = PROMPTS.subList(0, promptCount);
    Path scratch = Path.of("/tmp/pin-int8-sweep");
    Files.createDirectories(scratch);
    List<String[]> test = read(sst2);
    try (OrtSessions sessions = new OrtSessions()) {
      List<float[]> fp32 = new ArrayList<>();
      MaskedLm base = MaskedLm.open(model, OrtConfig.cpu(2), sessions);
      for (String p : prompts) {
        Path cache = scratch.resolve("fp32-" + p.replace(' ', '_') + ".txt");
        float[] m;
        if (Files.exists(cache)) {
          m = parse(Files.readAllLines(cache));
        } else {
          m = margins(base, test, p, new double[1]);
          List<String> lines = new ArrayList<>();
          for (float v : m) {
            lines.add(Float.toString(v));
          }
          Files.write(cache, lines);
        }
        fp32.add(m);
        System.out.printf(Locale.ROOT, "fp32 %-30s acc %5.1f%%%n", '"' + p + '"',
            accuracy(m, test));
      }
      for (String id : args) {
        Int8Recipe recipe = Int8Recipe.parse(id);
        ModelDir dir = scratchCopy(model, scratch.resolve(recipe.id()));
        long t0 = System.nanoTime();
        dir = BertModelWriter.addVariant(dir, recipe);
        double build = (System.nanoTime() - t0) / 1e9;
        OrtSessions own = new OrtSessions();
        MaskedLm q = MaskedLm.open(dir, OrtConfig.cpu(2).withPrecision(Precision.INT8), own);
        for (int i = 0; i < prompts.size(); i++) {
          double[] seconds = new double[1];
          float[] m = margins(q, test, prompts.get(i), seconds);
          int agree = 0;
          double squares = 0;
          for (int k = 0; k < m.length; k++) {
            agree += (m[k] > 0) == (fp32.get(i)[k] > 0) ? 1 : 0;
            squares += Math.pow(m[k] - fp32.get(i)[k], 2);
          }
          // The margin error's RMS says more than the flips, which depend on how many fp32
          // margins happen to sit near 0.
          System.out.printf(Locale.ROOT, "%-40s %-30s acc %5.1f%% (fp32 %5.1f%%) agree %5.1f%%"
              + " (%d flips) margin RMS error %.3f %6.1f seq/s (built in %.0f s)%n", recipe.id(),
              '"' + prompts.get(i) + '"', accuracy(m, test), accuracy(fp32.get(i), test),
              100.0 * agree / m.length, m.length - agree, Math.sqrt(squares / m.length),
              m.length / seconds[0], build);
        }
        own.close();
        deleteTree(dir.dir());
      }
    }
  }

  /** great − terrible logit at the mask of {@code "{sentence} {prompt} [MASK] ."}, per sentence. */
  static float[] margins(MaskedLm lm, List<String[]> test, String prompt, double[] seconds)
      throws IOException {
    WordPieceTokenizer tok = lm.tokenizer();
    int great = tok.id("great");
    int terrible = tok.id("terrible");
    int mask = lm.manifest().specialId("mask");
    List<int[]> ids = new ArrayList<>();
    for (String[] row : test) {
      ids.add(tok.encode((row[0] + " " + prompt + " [MASK] .").replaceAll(" +", " ")));
    }
    // Sorted by length, batches of 32: little padding, as the reward service batches.
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingInt(i -> ids.get(i).length));
    float[] out = new float[ids.size()];
    long t0 = System.nanoTime();
    for (int from = 0; from < order.size(); from += 32) {
      List<Integer> idx = order.subList(from, Math.min(order.size(), from + 32));
      List<int[]> batch = idx.stream().map(ids::get).toList();
      int[] positions = batch.stream().mapToInt(a -> indexOf(a, mask)).toArray();
      float[][] logits = lm.logitsAt(batch, positions);
      for (int b = 0; b < idx.size(); b++) {
        out[idx.get(b)] = logits[b][great] - logits[b][terrible];
      }
    }
    seconds[0] = (System.nanoTime() - t0) / 1e9;
    return out;
  }

  static double accuracy(float[] margins, List<String[]> test) {
    int correct = 0;
    for (int i = 0; i < margins.length; i++) {
      // Ties are wrong (§6.1): label 1 only when great strictly beats terrible.
      int predicted = margins[i] > 0 ? 1 : 0;
      correct += predicted == Integer.parseInt(test.get(i)[1]) ? 1 : 0;
    }
    return 100.0 * correct / margins.length;
  }

  static List<String[]> read(Path tsv) throws IOException {
    List<String> lines = Files.readAllLines(tsv);
    List<String[]> out = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      int tab = line.lastIndexOf('\t');
      out.add(new String[] {line.substring(0, tab), line.substring(tab + 1).trim()});
    }
    return out;
  }

  /** A directory whose files link to {@code model}'s, so a variant can be added without copying. */
  static ModelDir scratchCopy(ModelDir model, Path dir) throws IOException {
    deleteTree(dir);
    Files.createDirectories(dir);
    for (String f : model.manifest().files().values()) {
      Files.createSymbolicLink(dir.resolve(f), model.dir().resolve(f).toAbsolutePath());
    }
    Files.copy(model.dir().resolve("manifest.json"), dir.resolve("manifest.json"));
    return ModelDir.open(dir);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static float[] parse(List<String> lines) {
    float[] out = new float[lines.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Float.parseFloat(lines.get(i));
    }
    return out;
  }

  private static int indexOf(int[] ids, int id) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == id) {
        return i;
      }
    }
    throw new IllegalArgumentException("no [MASK]");
  }
}
