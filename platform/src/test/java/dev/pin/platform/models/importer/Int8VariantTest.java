package dev.pin.platform.models.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.platform.models.TinyModels;
import dev.pin.platform.models.onnx.Precision;
import dev.pin.platform.models.ort.MaskedLm;
import dev.pin.platform.models.ort.OrtConfig;
import dev.pin.platform.models.ort.OrtSessions;
import dev.pin.platform.models.store.ModelDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Int8VariantTest {
  @TempDir Path tmp;

  @Test
  void int8GraphTracksTheFloatGraph() throws IOException {
    ModelDir fp32 = TinyModels.bertMlm(tmp.resolve("tiny"), 3);
    assertThrows(IllegalStateException.class, () -> fp32.modelFile(Precision.INT8));
    ModelDir both = BertModelWriter.addVariant(fp32, Precision.INT8);
    assertTrue(Files.isRegularFile(both.modelFile(Precision.INT8)));
    assertTrue(both.verifyChecksum(), "the float graph is untouched");
    try (OrtSessions sessions = new OrtSessions()) {
      MaskedLm f = MaskedLm.open(both, OrtConfig.cpu(1), sessions);
      MaskedLm q = MaskedLm.open(both, OrtConfig.cpu(1).withPrecision(Precision.INT8), sessions);
      List<int[]> batch = List.of(f.tokenizer().encode("the capital of france is [MASK] ."),
          f.tokenizer().encode("i went to the [MASK] to buy some milk ."));
      float[][][] a = f.lastHiddenState(batch);
      float[][][] b = q.lastHiddenState(batch);
      double num = 0;
      double den = 0;
      for (int s = 0; s < a.length; s++) {
        for (int t = 0; t < a[s].length; t++) {
          for (int j = 0; j < a[s][t].length; j++) {
            num += Math.pow(a[s][t][j] - b[s][t][j], 2);
            den += Math.pow(a[s][t][j], 2);
          }
        }
      }
      // 8-bit weights and activations: a few percent relative error, not a different function.
      double rel = Math.sqrt(num / den);
      assertTrue(rel < 0.05, "relative error " + rel);
      assertTrue(rel > 0, "int8 graph must differ from fp32 (is it really quantized?)");
      assertEquals(a[0].length, b[0].length);
    }
  }
}
