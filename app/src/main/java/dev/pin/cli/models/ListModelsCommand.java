package dev.pin.cli.models;

import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code pin models list}. */
@Command(name = "list", description = "List the models in the store.",
    mixinStandardHelpOptions = true)
final class ListModelsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--verify",
      description = "Also check each model.onnx against its manifest's SHA-256.")
  boolean verify;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    ModelStore store = ModelStore.defaultStore();
    List<ModelDir> models = store.list();
    out.println("model store: " + store.home());
    if (models.isEmpty()) {
      out.println("(empty) — import one with: pin models import bert-base-uncased");
      return 0;
    }
    out.printf("%-24s %-10s %-40s %6s %6s %7s %9s%s%n", "NAME", "ARCH", "ROLES", "LAYERS",
        "HIDDEN", "VOCAB", "SIZE(MB)", verify ? "  CHECKSUM" : "");
    int bad = 0;
    for (ModelDir m : models) {
      ModelManifest mf = m.manifest();
      String check = "";
      if (verify) {
        boolean ok = m.verifyChecksum();
        bad += ok ? 0 : 1;
        check = ok ? "  ok" : "  MISMATCH";
      }
      out.printf("%-24s %-10s %-40s %6d %6d %7d %9.1f%s%n", mf.name(), mf.architecture(),
          String.join(",", mf.roles()), mf.numLayers(), mf.hiddenSize(), mf.vocabSize(),
          Files.size(m.modelFile()) / 1e6, check);
    }
    return bad == 0 ? 0 : 1;
  }
}
