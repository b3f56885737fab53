package dev.pin.cli;

import dev.pin.orchestrator.data.DataDir;
import dev.pin.orchestrator.data.FewShotLoader;
import dev.pin.orchestrator.data.FewShotSplit;
import dev.pin.orchestrator.data.StyleData;
import dev.pin.orchestrator.data.YelpStyleLoader;
import dev.pin.v1.LabeledText;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pin data check LAYOUT DIR}: reads a benchmark data folder with the same loaders a run
 * uses and says, per split, what it found or what is wrong (the file, the line, the problem), so
 * that a folder is known good before a run is started on it. The layouts are described in
 * {@code examples/README.md}.
 */
@Command(name = "data", mixinStandardHelpOptions = true,
    description = "Benchmark data folders: `pin data check few-shot DIR` or "
        + "`pin data check style-transfer DIR` (layouts in examples/README.md).",
    subcommands = {DataCommand.Check.class})
final class DataCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The check itself. */
  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Read a data folder the way a run would and report every split.",
          "few-shot: DIR/16-<seed>/{train,dev}.tsv for each seed and DIR/test.tsv, TSV with a "
              + "header sentence<TAB>label and integer labels from 0 (LM-BFF's 16-shot splits, "
              + "e.g. DIR = data/few-shot/sst-2).",
          "style-transfer: DIR/sentiment.{dev,test,ref}.{0,1}.txt, one sentence a line "
              + "(Yelp of Shen et al. 2017 with the references of Li et al. 2018).",
          "Exit status 0 when every file reads, 1 otherwise."})
  static final class Check implements Callable<Integer> {
    /** The split seeds of LM-BFF and the papers (§6.1). */
    static final List<Integer> PAPER_SEEDS = List.of(100, 13, 21, 42, 87);

    @Parameters(index = "0", paramLabel = "LAYOUT", description = "few-shot or style-transfer.")
    String layout;

    @Parameters(index = "1", paramLabel = "DIR", description = "The data folder.")
    Path dir;

    @Option(names = "--seeds", split = ",", paramLabel = "SEED[,SEED…]",
        description = "Split seeds to check (few-shot; default: the papers' 100,13,21,42,87).")
    List<Integer> seeds = PAPER_SEEDS;

    @Override
    public Integer call() {
      PrintStream out = System.out;
      PrintStream err = System.err;
      if (!layout.equals("few-shot") && !layout.equals("style-transfer")) {
        err.println("pin data check: unknown layout '" + layout
            + "': expected few-shot or style-transfer");
        return Pin.ExitCodes.USAGE;
      }
      if (!Files.isDirectory(dir)) {
        err.println("pin data check: " + dir + ": no such folder (where to get the data and its"
            + " layout: examples/README.md)");
        return 1;
      }
      List<String> problems = new ArrayList<>();
      if (layout.equals("few-shot")) {
        for (int seed : seeds) {
          try {
            FewShotSplit split = FewShotLoader.load(DataDir.of(dir), seed, 0);
            out.printf(Locale.ROOT, "16-%d: %d train, %d dev, %d test, labels %s%n", seed,
                split.train().size(), split.dev().size(), split.test().size(),
                labels(split));
          } catch (IOException e) {
            problems.add("16-" + seed + ": " + describe(e));
          }
        }
      } else {
        for (int style = 0; style <= 1; style++) {
          try {
            StyleData data = YelpStyleLoader.load(DataDir.of(dir), style, 0, 0);
            out.printf(Locale.ROOT, "%s→%s: %d train, %d dev, %d test%n",
                style == 0 ? "negative" : "positive", style == 0 ? "positive" : "negative",
                data.train().size(), data.dev().size(), data.test().size());
          } catch (IOException e) {
            problems.add("source style " + style + ": " + describe(e));
          }
        }
      }
      if (problems.isEmpty()) {
        out.println(dir + ": ok (" + layout + ")");
        return 0;
      }
      problems.forEach(p -> err.println("pin data check: " + p));
      err.println(dir + ": " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
          + " (layout: examples/README.md)");
      return 1;
    }

    private static String labels(FewShotSplit split) {
      TreeSet<Integer> labels = new TreeSet<>();
      for (List<LabeledText> part : List.of(split.train(), split.dev(), split.test())) {
        part.forEach(t -> labels.add(t.getLabel()));
      }
      return labels.toString();
    }

    private static String describe(IOException e) {
      if (e instanceof NoSuchFileException missing) {
        return missing.getFile() + ": no such file";
      }
      return e.getMessage();
    }
  }
}
