package dev.pin.cli.models;

import dev.pin.models.FillMask;
import dev.pin.models.onnx.Precision;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code pin models fill-mask --model NAME [--top-k K] TEXT…}. */
@Command(name = "fill-mask",
    description = "Predict the [MASK] token of each TEXT with a masked LM from the store.",
    mixinStandardHelpOptions = true)
final class FillMaskCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--model", defaultValue = "bert-base-uncased",
      description = "Model name in the store (default: ${DEFAULT-VALUE}).")
  String model;

  @CommandLine.Option(names = "--top-k", defaultValue = "5",
      description = "Candidates to print (default: ${DEFAULT-VALUE}).")
  int topK;

  @CommandLine.Option(names = "--device", defaultValue = "cpu",
      description = "cpu or cuda (falls back to cpu with a warning when CUDA is unavailable).")
  String device;

  @CommandLine.Option(names = "--precision", defaultValue = "FP32",
      description = "FP32 or INT8 (needs pin models import --int8).")
  Precision precision;

  @CommandLine.Parameters(arity = "1..*", paramLabel = "TEXT",
      description = "Text holding one [MASK], e.g. \"the capital of france is [MASK] .\"")
  List<String> texts;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (topK < 1) {
      return usage(err, "--top-k must be at least 1, got " + topK);
    }
    ModelStore store = ModelStore.defaultStore();
    ModelDir dir;
    try {
      dir = store.find(model).orElse(null);
    } catch (IllegalArgumentException e) {
      return usage(err, "--model: " + e.getMessage());
    }
    if (dir == null) {
      return usage(err, "model '" + model + "' is not in the model store " + store.home()
          + "; import it: " + ModelStore.importHint(model));
    }
    if (!ModelManifest.ARCH_BERT_MLM.equals(dir.manifest().architecture())) {
      return usage(err, "model '" + model + "' is a " + dir.manifest().architecture()
          + "; fill-mask needs a BERT masked LM (" + ModelManifest.ARCH_BERT_MLM
          + "), e.g. bert-base-uncased");
    }
    // Every text is checked with the tokenizer alone: loading the model takes seconds.
    try {
      WordPieceTokenizer tokenizer = dir.tokenizer();
      int maskId = dir.manifest().specialId("mask");
      for (String text : texts) {
        FillMask.requireOneMask(text, tokenizer, maskId);
      }
    } catch (IllegalArgumentException e) {
      return usage(err, e.getMessage());
    }
    try {
      FillMask fill = new FillMask(MaskedLm.open(dir, OrtConfig.defaults().withDevice(device)
          .withPrecision(precision)));
      for (String text : texts) {
        out.println(text);
        for (FillMask.Prediction p : fill.predict(text, topK)) {
          out.printf("  %-16s %.4f%n", p.token(), p.probability());
        }
        out.flush();
      }
      return 0;
    } catch (Exception e) {
      err.println("pin models fill-mask: failed: " + e.getMessage());
      err.flush();
      return 1;
    } finally {
      OrtSessions.shared().close();
    }
  }

  private static int usage(PrintWriter err, String message) {
    err.println("pin models fill-mask: " + message);
    err.flush();
    return 2;
  }
}
