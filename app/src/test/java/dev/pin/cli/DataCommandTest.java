package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pin data check}: a folder against the documented layouts. */
class DataCommandTest {
  @TempDir Path dir;


  private static CliRun run(String... args) {
    return CliRun.of(Map.of(), args);
  }

  private void tsv(String relative, String... rows) throws IOException {
    Path f = dir.resolve(relative);
    Files.createDirectories(f.getParent());
    Files.write(f, List.of(rows), StandardCharsets.UTF_8);
  }

  private void fewShot(int... seeds) throws IOException {
    for (int seed : seeds) {
      tsv("16-" + seed + "/train.tsv", "sentence\tlabel", "a fine film\t1", "a dull film\t0");
      tsv("16-" + seed + "/dev.tsv", "sentence\tlabel", "great\t1", "awful\t0");
    }
    tsv("test.tsv", "sentence\tlabel", "good\t1", "bad\t0", "so-so\t0");
  }

  @Test
  void aFolderInTheFewShotLayoutPassesWithItsCountsPerSplit() throws IOException {
    fewShot(100, 13, 21, 42, 87);
    CliRun r = run("data", "check", "few-shot", dir.toString());
    assertEquals(0, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("16-42: 2 train, 2 dev, 3 test, labels [0, 1]"), r.out());
    assertTrue(r.out().contains(": ok (few-shot)"), r.out());
  }

  @Test
  void aMissingSplitFileOrABadLineIsNamed() throws IOException {
    fewShot(100, 13, 21, 42, 87);
    Files.delete(dir.resolve("16-13/dev.tsv"));
    tsv("16-87/train.tsv", "sentence\tlabel", "fine\tpositive");
    CliRun r = run("data", "check", "few-shot", dir.toString());
    assertEquals(1, r.exit(), r.out() + r.err());
    assertTrue(r.err().contains("16-13: ") && r.err().contains("dev.tsv: no such file"), r.err());
    assertTrue(r.err().contains("16-87: ") && r.err().contains("train.tsv"), r.err());
    assertTrue(r.err().contains("2 problems"), r.err());
    // --seeds narrows the check to the splits a spec uses.
    assertEquals(0, run("data", "check", "few-shot", dir.toString(), "--seeds", "42").exit());
  }

  @Test
  void aFolderThatIsNotThereSaysSoAndWhereTheLayoutIs() {
    CliRun r = run("data", "check", "few-shot", dir.resolve("nope").toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("no such folder") && r.err().contains("examples/README.md"),
        r.err());
    assertEquals(Pin.ExitCodes.USAGE, run("data", "check", "sst", dir.toString()).exit());
  }

  @Test
  void aStyleTransferFolderNeedsOneReferencePerTestLine() throws IOException {
    for (int s = 0; s <= 1; s++) {
      tsv("sentiment.dev." + s + ".txt", "the food was ok", "service was slow");
      tsv("sentiment.test." + s + ".txt", "i loved it", "never again");
      tsv("sentiment.ref." + s + ".txt", "i hated it", "i will be back");
    }
    CliRun ok = run("data", "check", "style-transfer", dir.toString());
    assertEquals(0, ok.exit(), ok.out() + ok.err());
    assertTrue(ok.out().contains("negative→positive: ") && ok.out().contains("2 test"), ok.out());
    tsv("sentiment.ref.1.txt", "only one");
    CliRun bad = run("data", "check", "style-transfer", dir.toString());
    assertEquals(1, bad.exit());
    assertTrue(bad.err().contains("sentiment.ref.1.txt") && bad.err().contains("reference"),
        bad.err());
  }

  @Test
  void theTeamsBenchmarkCopyPassesWhereItIsMounted() {
    Path shared = Path.of("..", "..", "shared", "data");
    Assumptions.assumeTrue(Files.isDirectory(shared.resolve("few-shot/sst-2")),
        "no benchmark data beside the checkout");
    assertEquals(0, run("data", "check", "few-shot",
        shared.resolve("few-shot/sst-2").toString()).exit());
    assertEquals(0, run("data", "check", "style-transfer",
        shared.resolve("style-transfer/yelp").toString()).exit());
  }
}
