package dev.pin.cli.models;

import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.train.ClassifierTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code pin models train-classifier --name NAME --train FILE:LABEL… [--dev FILE:LABEL…]}: fits a
 * style classifier (§6.2) on a frozen encoder of the store and writes it into the store as a
 * sequence-classifier model (see {@link ClassifierTrainer}).
 */
@Command(name = "train-classifier",
    description = "Train a style classifier on a frozen encoder (mean-pooled final hidden states"
        + " + L2 logistic regression) and store it as a sequence classifier the reward service"
        + " loads (task.style_transfer.style_classifier). Labels are numbered in the order"
        + " they first appear in --train.",
    mixinStandardHelpOptions = true)
final class TrainClassifierCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--name", required = true,
      description = "Store name of the new classifier.")
  String name;

  @CommandLine.Option(names = "--train", required = true, arity = "1..*",
      paramLabel = "FILE:LABEL", description = "A file of sentences (one per line) and its label,"
          + " e.g. sentiment.dev.0.txt:negative sentiment.dev.1.txt:positive.")
  List<String> train;

  @CommandLine.Option(names = "--dev", arity = "1..*", paramLabel = "FILE:LABEL",
      description = "Held-out files to measure the written model's accuracy on.")
  List<String> dev = new ArrayList<>();

  @CommandLine.Option(names = "--encoder", defaultValue = "bert-base-uncased",
      description = "BERT-family encoder in the store (default: ${DEFAULT-VALUE}).")
  String encoder;

  @CommandLine.Option(names = "--max-per-label", defaultValue = "2000",
      description = "Training sentences drawn per label, 0 = all (default: ${DEFAULT-VALUE}).")
  int maxPerLabel;

  @CommandLine.Option(names = "--max-dev-per-label", defaultValue = "0",
      description = "Dev sentences per label, first lines first; 0 = all.")
  int maxDevPerLabel;

  @CommandLine.Option(names = "--l2", defaultValue = "1e-3",
      description = "L2 penalty on the standardised weights (default: ${DEFAULT-VALUE}).")
  double l2;

  @CommandLine.Option(names = "--iterations", defaultValue = "300",
      description = "Full-batch gradient steps (default: ${DEFAULT-VALUE}).")
  int iterations;

  @CommandLine.Option(names = "--seed", defaultValue = "42",
      description = "Seed of the training subsample (default: ${DEFAULT-VALUE}).")
  long seed;

  @CommandLine.Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda.")
  String device;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long t0 = System.nanoTime();
    try {
      Map<String, List<String>> trainSets = read(train, 0);
      Map<String, List<String>> devSets = read(dev, maxDevPerLabel);
      ModelStore store = ModelStore.defaultStore();
      ModelDir enc = store.require(encoder);
      ClassifierTrainer.Options o = ClassifierTrainer.Options.defaults();
      ClassifierTrainer trainer = new ClassifierTrainer(enc, OrtConfig.defaults()
          .withDevice(device), new ClassifierTrainer.Options(maxPerLabel, l2, iterations,
          o.learningRate(), seed, o.batch()), line -> {
            err.println("» " + line);
            err.flush();
          });
      Path target = store.dir(name);
      Path staging = target.resolveSibling(".train-" + name + "-" + ProcessHandle.current().pid());
      ClassifierTrainer.Result r = trainer.train(trainSets, devSets, staging, name);
      deleteRecursively(target);
      Files.move(staging, target);
      out.printf("%s ready in %s: labels %s, %d training sentences (train accuracy %.4f)%s"
              + " (%.1f s)%n", name, target, r.model().manifest().labels(), r.trainSentences(),
          r.trainAccuracy(), r.devSentences() == 0 ? "" : String.format(
              ", dev accuracy %.4f on %d sentences", r.devAccuracy(), r.devSentences()),
          (System.nanoTime() - t0) / 1e9);
      out.flush();
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("train-classifier: " + e.getMessage());
      err.flush();
      return 2;
    } catch (Exception e) {
      err.println("train-classifier failed: " + e.getMessage());
      err.flush();
      return 1;
    }
  }

  /** FILE:LABEL pairs → label → sentences (blank lines skipped), labels in first-seen order. */
  static Map<String, List<String>> read(List<String> pairs, int maxPerLabel) throws IOException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String pair : pairs) {
      int colon = pair.lastIndexOf(':');
      if (colon <= 0 || colon == pair.length() - 1) {
        throw new IllegalArgumentException("expected FILE:LABEL, got '" + pair + "'");
      }
      Path file = Path.of(pair.substring(0, colon));
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("no such file " + file);
      }
      List<String> s = out.computeIfAbsent(pair.substring(colon + 1), k -> new ArrayList<>());
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank() && (maxPerLabel <= 0 || s.size() < maxPerLabel)) {
          s.add(line.strip());
        }
      }
    }
    return out;
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
