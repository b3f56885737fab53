package dev.pin.policy.bench;

import ai.djl.ndarray.NDManager;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.TextTokenizer;
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
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * A soft prompt against PEZ on BERT-base (issue #14 item 3): the same seed, settings (L = 10,
 * AdamW lr 0.3, wd 0.1 unless given) and training split of 16-shot SST-2, each trained for STEPS
 * steps; every EVERY steps (and after the last) the current continuous prompt and its
 * nearest-token projection are scored on the dev split ({@code Pez.score}: accuracy, mean
 * cross-entropy, agreement, mean row cosine), as a run's dev evaluations record them.
 *
 * <pre>./bench policy-service dev.pin.policy.bench.SoftPromptBench [DATA_DIR] [SPLIT_SEED] [STEPS]
 *     [EVERY] [LR]</pre>
 */
public final class SoftPromptBench {
  private SoftPromptBench() {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args.length > 0 ? args[0] : "data/few-shot/sst-2");
    int split = args.length > 1 ? Integer.parseInt(args[1]) : 42;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int every = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    double lr = args.length > 4 ? Double.parseDouble(args[4]) : 0.3;
    Optional<ModelDir> found = ModelStore.defaultStore().find("bert-base-uncased");
    if (found.isEmpty()) {
      System.out.println("bert-base-uncased is not in the model store; skipped");
      return;
    }
    ModelDir dir = found.get();
    ClassificationTask.Builder task = ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("bert-base-uncased"))
        .setTemplate("{sentence} {prompt} {mask} .")
        .addVerbalizers("terrible").addVerbalizers("great")
        .addAllTrain(read(data.resolve("16-" + split).resolve("train.tsv")));
    List<LabeledText> dev = read(data.resolve("16-" + split).resolve("dev.tsv"));
    TextTokenizer tokenizer = dir.textTokenizer();
    int[] specials = IntStream.range(0, dir.manifest().vocabSize())
        .filter(id -> {
          String t = tokenizer.token(id);
          return t.length() > 2 && t.startsWith("[") && t.endsWith("]");
        }).toArray();
    System.out.printf(Locale.ROOT, "%s: %d training and %d dev sentences, lr %s%n",
        data.resolve("16-" + split), task.getTrainCount(), dev.size(), lr);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TorchMaskedLm lm = TorchMaskedLm.load(dir, manager)) {
      for (boolean project : new boolean[] {false, true}) {
        PezHyperparameters hp = project ? new PezHyperparameters(10, lr, 0.1, 0, 42)
            : PezHyperparameters.softPrompt(10, lr, 0.1, 42);
        PezTask examples = PezTask.of(task.build(), tokenizer, dir.manifest(),
            hp.promptLength(), lm.maxInputTokens());
        PezTask devExamples = examples.reader().read(dev, "dev");
        String name = project ? "PEZ" : "soft prompt";
        try (Pez pez = new Pez(hp, lm, examples, specials, manager)) {
          for (int s = 1; s <= steps; s++) {
            long a = System.nanoTime();
            UpdateResult r = pez.update(List.of());
            System.out.printf(Locale.ROOT, "%s step %d: %.1f s, loss %.4f, train accuracy "
                + "%.1f%%%n", name, s, (System.nanoTime() - a) / 1e9, r.loss(),
                r.trainAccuracy());
            if (s % every == 0 || s == steps) {
              long b = System.nanoTime();
              Pez.Faithfulness f = pez.score(devExamples, null);
              System.out.printf(Locale.ROOT, "%s after step %d, dev (%d sentences, %.1f s): "
                  + "continuous %.1f%% (loss %.4f), projection %.1f%% (loss %.4f) \"%s\", "
                  + "agreement %.3f, mean row cosine %.3f%n", name, s, f.examples(),
                  (System.nanoTime() - b) / 1e9, f.continuousScore(), f.continuousLoss(),
                  f.projectionScore(), f.projectionLoss(), tokenizer.decode(f.projection()),
                  f.agreement(), f.meanRowCosine());
            }
          }
        }
      }
    }
  }

  /** A few-shot TSV (header, then text TAB label). */
  private static List<LabeledText> read(Path tsv) throws java.io.IOException {
    List<String> lines = Files.readAllLines(tsv);
    return lines.subList(1, lines.size()).stream().map(line -> {
      int tab = line.lastIndexOf('\t');
      String text = line.substring(0, tab);
      if (text.length() > 1 && text.startsWith("\"") && text.endsWith("\"")) {
        text = text.substring(1, text.length() - 1).replace("\"\"", "\"");
      }
      return LabeledText.newBuilder().setText(text)
          .setLabel(Integer.parseInt(line.substring(tab + 1).strip())).build();
    }).toList();
  }
}
