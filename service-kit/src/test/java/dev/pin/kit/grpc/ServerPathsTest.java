package dev.pin.kit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerPathsTest {
  @TempDir Path tmp;

  private ServerPaths paths() {
    Map<Path, String> folders = new LinkedHashMap<>();
    folders.put(tmp.resolve("models"), "<models.home>");
    folders.put(tmp.resolve("data"), "");
    folders.put(tmp.resolve("data").resolve("checkpoints"), "<policy.checkpoint-dir>");
    return ServerPaths.of(folders);
  }

  @Test
  void foldersAreNamedByTheirLabelsAndKeepThePathBelowThem() {
    ServerPaths p = paths();
    String models = tmp.resolve("models").toString();
    assertEquals("model 'gpt2' is not in the model store <models.home> (set PIN_MODELS_HOME)",
        p.redact("model 'gpt2' is not in the model store " + models + " (set PIN_MODELS_HOME)"));
    assertEquals("cannot load <models.home>/gpt2/model.onnx: bad",
        p.redact("cannot load " + models + "/gpt2/model.onnx: bad"));
    // Under the data folder: the relative path a spec spells; a folder inside it keeps its label.
    assertEquals("no such file: few-shot/sst-2/train.tsv",
        p.redact("no such file: " + tmp.resolve("data/few-shot/sst-2/train.tsv")));
    assertEquals("checkpoint <policy.checkpoint-dir>/run-1/step-1 is gone",
        p.redact("checkpoint " + tmp.resolve("data/checkpoints/run-1/step-1").toUri() + " is gone"));
    assertEquals("'.'", p.redact("'" + tmp.resolve("data") + "'"));
  }

  @Test
  void otherTextIsLeftAlone() {
    ServerPaths p = paths();
    String lookalike = tmp.resolve("database/x").toString(); // "data" is a prefix, not a folder
    assertEquals("see " + lookalike, p.redact("see " + lookalike));
    assertFalse(p.mentions("see " + lookalike));
    assertTrue(p.mentions("see " + tmp.resolve("models")));
    Status ok = Status.INVALID_ARGUMENT.withDescription("spec.name: is required");
    assertSame(ok, p.redact(ok));
    assertEquals(null, p.redact((String) null));
  }

  @Test
  void resolvedSpellingsCountAndTheRootIsNeverAFolder() throws Exception {
    Path real = Files.createDirectories(tmp.resolve("real-store"));
    Path link = Files.createSymbolicLink(tmp.resolve("store-link"), real);
    ServerPaths p = ServerPaths.of(Map.of(link, "<models.home>"));
    assertEquals("<models.home>/bert", p.redact(real.toRealPath() + "/bert"));
    assertEquals("<models.home>/bert", p.redact(link + "/bert"));
    assertTrue(ServerPaths.of(Map.of(Path.of("/"), "root")).isEmpty());
    ServerPaths both = p.and(ServerPaths.of(Map.of(tmp.resolve("ckpt"), "<ckpt>")));
    assertEquals("<ckpt>/a and <models.home>/b",
        both.redact(tmp.resolve("ckpt/a") + " and " + link + "/b"));
  }
}
