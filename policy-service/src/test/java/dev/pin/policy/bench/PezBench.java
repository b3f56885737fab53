package dev.pin.policy.bench;

import ai.djl.ndarray.NDManager;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.policy.algorithm.Pez;
import dev.pin.policy.algorithm.PezHyperparameters;
import dev.pin.policy.algorithm.PezTask;
import dev.pin.policy.algorithm.UpdateResult;
import dev.pin.policy.torch.TorchMaskedLm;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * PEZ's step time and memory on BERT-base at §7.1's defaults (L = 10, AdamW lr 0.3, wd 0.1) on a
 * 16-shot SST-2 training split (32 sentences, the whole split each step, template "{sentence}
 * {prompt} {mask} .", verbalizers terrible/great): each step projects P, forwards and
 * back-propagates the 32 spliced inputs through the PyTorch BERT and takes an AdamW step.
 *
 * <pre>./bench policy-service dev.pin.policy.bench.PezBench [DATA_DIR] [SPLIT_SEED] [STEPS]</pre>
 *
 * DATA_DIR is a few-shot folder ({@code 16-<seed>/train.tsv}), default {@code
 * data/few-shot/sst-2}; prints the model load, each step's time, loss and prompt, and the
 * process's resident memory (VmRSS now, VmHWM peak).
 */
public final class PezBench {
  private PezBench() {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args.length > 0 ? args[0] : "data/few-shot/sst-2");
    int split = args.length > 1 ? Integer.parseInt(args[1]) : 42;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    Optional<ModelDir> found = ModelStore.defaultStore().find("bert-base-uncased");
    if (found.isEmpty()) {
      System.out.println("bert-base-uncased is not in the model store; skipped");
      return;
    }
    ModelDir dir = found.get();
    ClassificationTask.Builder task = ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("bert-base-uncased"))
        .addVerbalizers("terrible").addVerbalizers("great");
    List<String> lines = Files.readAllLines(data.resolve("16-" + split).resolve("train.tsv"));
    for (String line : lines.subList(1, lines.size())) {
      int tab = line.lastIndexOf('\t');
      String text = line.substring(0, tab);
      if (text.length() > 1 && text.startsWith("\"") && text.endsWith("\"")) {
        text = text.substring(1, text.length() - 1).replace("\"\"", "\"");
      }
      task.addTrain(LabeledText.newBuilder().setText(text)
          .setLabel(Integer.parseInt(line.substring(tab + 1).strip())));
    }
    System.out.printf(Locale.ROOT, "%s: %d training sentences; %s before loading%n",
        data.resolve("16-" + split), task.getTrainCount(), memory());
    long t0 = System.nanoTime();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchMaskedLm lm = TorchMaskedLm.load(dir, manager)) {
      System.out.printf(Locale.ROOT, "BERT-base on PyTorch loaded in %.1f s; %s%n",
          (System.nanoTime() - t0) / 1e9, memory());
      PezHyperparameters hp = new PezHyperparameters(10, 0.3, 0.1, 0, 1);
      PezTask examples = PezTask.of(task.build(), dir.textTokenizer(), dir.manifest(),
          hp.promptLength(), lm.maxInputTokens());
      int longest = examples.inputs().stream().mapToInt(a -> a.length).max().orElseThrow();
      dev.pin.models.tokenizer.TextTokenizer tokenizer = dir.textTokenizer();
      int[] specials = IntStream.range(0, dir.manifest().vocabSize())
          .filter(id -> {
            String t = tokenizer.token(id);
            return t.length() > 2 && t.startsWith("[") && t.endsWith("]");
          }).toArray();
      try (Pez pez = new Pez(hp, lm, examples, specials, manager)) {
        System.out.printf(Locale.ROOT, "%d inputs of up to %d tokens (L = %d); %d projection "
            + "candidates; %s%n", examples.size(), longest, hp.promptLength(),
            pez.actionSpaceSize(), memory());
        double total = 0;
        for (int s = 1; s <= steps; s++) {
          long a = System.nanoTime();
          int[] prompt = pez.sample(1, true).prompts().get(0).tokenIds();
          long b = System.nanoTime();
          UpdateResult r = pez.update(List.of());
          long c = System.nanoTime();
          if (s > 1) {
            total += (c - a) / 1e9;
          }
          System.out.printf(Locale.ROOT, "step %d: %.2f s (projection %.3f s, step %.2f s), loss "
              + "%.4f, |g| %.3g, prompt \"%s\"; %s%n", s, (c - a) / 1e9, (b - a) / 1e9,
              (c - b) / 1e9, r.loss(), r.gradNorm(), dir.textTokenizer().decode(prompt),
              memory());
        }
        if (steps > 1) {
          System.out.printf(Locale.ROOT, "mean step after the first: %.2f s%n",
              total / (steps - 1));
        }
      }
    }
  }

  private static String memory() throws java.io.IOException {
    String rss = "?";
    String hwm = "?";
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = line.substring(6).strip();
      } else if (line.startsWith("VmHWM:")) {
        hwm = line.substring(6).strip();
      }
    }
    return "RSS " + rss + " (peak " + hwm + ")";
  }
}
