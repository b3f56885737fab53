package dev.pin.cli.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The model commands' mistakes as a new user makes them: each exits 2 with a message that says
 * what is wrong and a next step that works.
 */
class ModelCommandErrorsTest {
  @TempDir Path tmp;
  private final String previousHome = System.getProperty(ModelStore.HOME_PROPERTY);

  private record Result(int exit, String err) {}

  @BeforeEach
  void store() {
    System.setProperty(ModelStore.HOME_PROPERTY, tmp.resolve("store").toString());
  }

  @AfterEach
  void restore() {
    if (previousHome == null) {
      System.clearProperty(ModelStore.HOME_PROPERTY);
    } else {
      System.setProperty(ModelStore.HOME_PROPERTY, previousHome);
    }
  }

  private static Result run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cmd = dev.pin.cli.Pin.commandLine();
    cmd.setErr(new PrintWriter(err, true));
    cmd.setOut(new PrintWriter(new StringWriter(), true));
    int exit = cmd.execute(args);
    return new Result(exit, err.toString());
  }

  @Test
  void fillMaskOnAMissingModelSuggestsAnImportThatWorks() {
    Result r = run("models", "fill-mask", "--model", "gpt2", "the [MASK] is blue");
    assertEquals(2, r.exit());
    // A bare `pin models import gpt2` is refused; the hint is the --from conversion.
    assertTrue(r.err().contains("import it: pin models import gpt2 --from DIR, where DIR is a "
        + "HuggingFace download"), r.err());
    Result byName = run("models", "fill-mask", "--model", "bert-base-uncased", "a [MASK]");
    assertTrue(byName.err().contains("import it: pin models import bert-base-uncased"),
        byName.err());
    assertTrue(!byName.err().contains("--from"), "fetched by name: " + byName.err());
  }

  @Test
  void fillMaskRefusesATextWithoutMaskBeforeLoadingTheModel() throws Exception {
    Path model = tmp.resolve("store").resolve("tiny-bert");
    TinyModels.bertMlm(model, 3);
    // A graph that cannot load: the mask check must come first to be seen at all.
    Files.writeString(model.resolve("model.onnx"), "not an onnx graph");
    Result r = run("models", "fill-mask", "--model", "tiny-bert", "a great movie");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("\"a great movie\" holds no [MASK]"), r.err());
    Result two = run("models", "fill-mask", "--model", "tiny-bert", "[MASK] [MASK]");
    assertEquals(2, two.exit(), two.err());
    assertTrue(two.err().contains("holds more than one [MASK]"), two.err());
  }

  @Test
  void importByNameOfAModelThatIsNotFetchedByNameSaysHowToImportIt() {
    Result r = run("models", "import", "gpt2");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("'gpt2' is not fetched by name (only bert-base-uncased and "
        + "bert-base-cased are); import it with pin models import gpt2 --from DIR"), r.err());
  }

  @Test
  void aMissingFromFolderSaysNoSuchFolder() {
    Path missing = tmp.resolve("no-such-model");
    Result r = run("models", "import", "m", "--from", missing.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--from: no such folder: " + missing), r.err());
    Result empty = run("models", "import", "m", "--from", tmp.toString());
    assertEquals(2, empty.exit());
    assertTrue(empty.err().contains("has no config.json"), empty.err());
  }

  @Test
  void aBinCheckpointGetsAConversionNote() throws Exception {
    Path hf = Files.createDirectories(tmp.resolve("bert-hf"));
    Files.writeString(hf.resolve("config.json"), "{\"model_type\": \"bert\"}");
    Files.write(hf.resolve("pytorch_model.bin"), new byte[] {1, 2, 3});
    Result r = run("models", "import", "m", "--from", hf.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("holds pytorch_model.bin (PyTorch's pickle format), which pin "
        + "does not read; convert it to model.safetensors"), r.err());
    assertTrue(r.err().contains("from safetensors.torch import save_file"), r.err());
    assertTrue(r.err().contains(hf.resolve("model.safetensors").toString()), r.err());
  }
}
