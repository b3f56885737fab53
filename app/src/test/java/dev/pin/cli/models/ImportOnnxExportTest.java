package dev.pin.cli.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.cli.Pin;
import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.CausalLayout;
import dev.pin.models.onnx.Gpt2Config;
import dev.pin.models.onnx.Gpt2Graph;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.ByteLevelBpe;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code pin models import --from DIR --name NAME} on an optimum-layout ONNX directory. */
class ImportOnnxExportTest {
  @TempDir Path tmp;
  private final String previousHome = System.getProperty(ModelStore.HOME_PROPERTY);

  @AfterEach
  void restore() {
    if (previousHome == null) {
      System.clearProperty(ModelStore.HOME_PROPERTY);
    } else {
      System.setProperty(ModelStore.HOME_PROPERTY, previousHome);
    }
  }

  private Path export(String architectures) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("export"));
    Gpt2Config c = TinyModels.GPT2_CONFIG;
    var w = TinyModels.gpt2Weights(1);
    BertMlmGraph.write(Gpt2Graph.build(c, w::get, "test", CausalLayout.OPTIMUM),
        dir.resolve("model.onnx"));
    Files.writeString(dir.resolve("config.json"), String.format("{\"architectures\": [%s],"
        + " \"vocab_size\": %d, \"n_embd\": %d, \"n_layer\": %d, \"n_head\": %d,"
        + " \"n_positions\": %d}", architectures, c.vocabSize(), c.hiddenSize(), c.numLayers(),
        c.numHeads(), c.maxPositions()));
    ByteLevelBpe.writeByteTokenizerJson(dir.resolve("tokenizer.json"));
    return dir;
  }

  private int run(StringWriter err, String... args) {
    CommandLine cmd = Pin.commandLine();
    cmd.setErr(new PrintWriter(err, true));
    cmd.setOut(new PrintWriter(new StringWriter(), true));
    return cmd.execute(args);
  }

  @Test
  void importsTheExportUnderTheGivenName() throws Exception {
    System.setProperty(ModelStore.HOME_PROPERTY, tmp.resolve("store").toString());
    Path dir = export("\"GPT2LMHeadModel\"");
    StringWriter err = new StringWriter();
    assertEquals(0, run(err, "models", "import", "--from", dir.toString(), "--name", "g"),
        err.toString());
    ModelDir imported = new ModelStore(tmp.resolve("store")).require("g");
    assertEquals("gpt2-clm", imported.manifest().architecture());
    assertTrue(imported.manifest().inputs().contains("position_ids"));
  }

  @Test
  void anUnsupportedArchitectureIsNamed() throws Exception {
    System.setProperty(ModelStore.HOME_PROPERTY, tmp.resolve("store").toString());
    Path dir = export("\"BloomForCausalLM\"");
    StringWriter err = new StringWriter();
    assertEquals(1, run(err, "models", "import", "--from", dir.toString()));
    assertTrue(err.toString().contains("BloomForCausalLM")
        && err.toString().contains("OPTForCausalLM"), err.toString());
  }
}
