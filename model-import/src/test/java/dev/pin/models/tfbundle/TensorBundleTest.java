package dev.pin.models.tfbundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBundleTest {
  @TempDir Path dir;

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  @Test
  void readsEveryTensorBackWithShapesAndValues() throws IOException {
    float[] emb = random(10 * 4, 1);
    float[] kernel = random(4 * 4, 2);
    float[] bias = random(4, 3);
    float[] scalar = {2.5f};
    Path prefix = dir.resolve("variables");
    new TensorBundleWriter()
        .add("bert/embeddings/word_embeddings", emb, 10, 4)
        .add("bert/encoder/layer_0/attention/self/query/kernel", kernel, 4, 4)
        .add("bert/encoder/layer_0/attention/self/query/bias", bias, 4)
        .add("bert/encoder/layer_0/attention/self/key/bias", bias, 4)
        .add("bert/encoder/layer_1/attention/self/key/bias", bias, 4)
        .add("global_step", scalar)
        .write(prefix);
    try (TensorBundle b = TensorBundle.open(prefix)) {
      assertEquals(List.of(
          "bert/embeddings/word_embeddings",
          "bert/encoder/layer_0/attention/self/key/bias",
          "bert/encoder/layer_0/attention/self/query/bias",
          "bert/encoder/layer_0/attention/self/query/kernel",
          "bert/encoder/layer_1/attention/self/key/bias",
          "global_step"), List.copyOf(b.entries().keySet()));
      assertArrayEquals(new long[] {10, 4}, b.entry("bert/embeddings/word_embeddings").shape());
      assertArrayEquals(new long[0], b.entry("global_step").shape());
      assertTrue(b.entry("global_step").hasCrc32c());
      assertArrayEquals(emb, b.floats("bert/embeddings/word_embeddings"));
      assertArrayEquals(kernel, b.floats("bert/encoder/layer_0/attention/self/query/kernel"));
      assertArrayEquals(bias, b.floats("bert/encoder/layer_1/attention/self/key/bias"));
      assertArrayEquals(scalar, b.floats("global_step"));
      assertThrows(IllegalArgumentException.class, () -> b.floats("nope"));
    }
  }

  @Test
  void readsBundlesWithoutChecksums() throws IOException {
    Path prefix = dir.resolve("v");
    float[] x = random(7, 4);
    new TensorBundleWriter().writeCrc(false).add("a", x, 7).write(prefix);
    try (TensorBundle b = TensorBundle.open(prefix)) {
      assertFalse(b.entry("a").hasCrc32c());
      assertArrayEquals(x, b.floats("a"));
    }
  }

  @Test
  void corruptedDataFailsTheTensorCrc() throws IOException {
    Path prefix = dir.resolve("variables");
    new TensorBundleWriter().add("a", random(8, 5), 8).add("b", random(8, 6), 8).write(prefix);
    Path data = TensorBundle.shardPath(prefix, 0, 1);
    byte[] bytes = Files.readAllBytes(data);
    bytes[40] ^= 1; // inside tensor "b" (bytes 32..63)
    Files.write(data, bytes, StandardOpenOption.TRUNCATE_EXISTING);
    try (TensorBundle b = TensorBundle.open(prefix)) {
      b.floats("a");
      IOException e = assertThrows(IOException.class, () -> b.floats("b"));
      assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
    }
  }

  @Test
  void corruptedIndexFailsTheBlockCrc() throws IOException {
    Path prefix = dir.resolve("variables");
    new TensorBundleWriter().add("alpha", random(2, 7), 2).write(prefix);
    Path index = dir.resolve("variables.index");
    byte[] bytes = Files.readAllBytes(index);
    bytes[3] ^= 0x10;
    Files.write(index, bytes);
    IOException e = assertThrows(IOException.class, () -> TensorBundle.open(prefix));
    assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
  }

  @Test
  void missingShardIsNamed() throws IOException {
    Path prefix = dir.resolve("variables");
    new TensorBundleWriter().add("a", random(2, 8), 2).write(prefix);
    Files.delete(TensorBundle.shardPath(prefix, 0, 1));
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> TensorBundle.open(prefix));
    assertTrue(e.getFile().endsWith("variables.data-00000-of-00001"));
  }

  @Test
  void maskRoundTrips() {
    for (int crc : new int[] {0, 1, -1, 0x12345678, 0xdeadbeef}) {
      assertEquals(crc, Crc32c.unmask(Crc32c.mask(crc)));
    }
  }
}
