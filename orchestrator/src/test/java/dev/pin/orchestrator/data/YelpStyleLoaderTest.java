package dev.pin.orchestrator.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YelpStyleLoaderTest {
  @TempDir Path tmp;

  @Test
  void negativeToPositiveWithAlignedReferences() throws IOException {
    DataDir yelp = DataDir.of(SharedData.root().resolve("style-transfer/yelp"));
    StyleData d = YelpStyleLoader.load(yelp, 0, 1000, 0);
    assertEquals(1000, d.train().size());
    assertEquals(YelpStyleLoader.DEV_SIZE, d.dev().size());
    assertEquals(500, d.test().size());
    assertEquals(
        "ever since joes has changed hands it's just gotten worse and worse.",
        d.test().get(0).getText());
    assertEquals(
        "ever since joes has changed hands it's gotten better and better.",
        d.test().get(0).getReferences(0));
    // Dev sentences follow the training ones and do not overlap them.
    assertTrue(d.train().stream().noneMatch(x -> x == d.dev().get(0)));
    StyleData pos = YelpStyleLoader.load(yelp, 1, 0, 10);
    assertEquals(38205, pos.train().size());
    assertEquals(10, pos.test().size());
  }

  @Test
  void misalignedReferencesAreAnError() throws IOException {
    Files.writeString(tmp.resolve("sentiment.dev.0.txt"), "bad food .\nrude staff .\n");
    Files.writeString(tmp.resolve("sentiment.test.0.txt"), "cold soup .\nslow service .\n");
    Files.writeString(tmp.resolve("sentiment.ref.0.txt"), "hot soup .\n");
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> YelpStyleLoader.load(DataDir.of(tmp), 0, 0, 0));
    assertTrue(
        e.getMessage().contains("sentiment.ref.0.txt: expected one reference per line"),
        e.getMessage());
  }

  @Test
  void emptyLineIsAnError() throws IOException {
    Files.writeString(tmp.resolve("sentiment.dev.1.txt"), "great food .\n\nnice staff .\n");
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> YelpStyleLoader.load(DataDir.of(tmp), 1, 0, 0));
    assertTrue(
        e.getMessage()
            .endsWith("sentiment.dev.1.txt:2: line is empty: expected one" + " sentence per line"),
        e.getMessage());
  }
}
