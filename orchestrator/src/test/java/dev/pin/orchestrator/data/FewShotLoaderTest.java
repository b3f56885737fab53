package dev.pin.orchestrator.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.LabeledText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FewShotLoaderTest {
  @TempDir Path tmp;

  @Test
  void sst2HasTheDocumentedSizes() throws IOException {
    DataDir sst2 = DataDir.of(SharedData.root().resolve("few-shot/sst-2"));
    for (int seed : new int[] {100, 13, 21, 42, 87}) {
      FewShotSplit split = FewShotLoader.load(sst2, seed, 2);
      assertEquals(32, split.train().size(), "train of seed " + seed);
      assertEquals(32, split.dev().size(), "dev of seed " + seed);
      assertEquals(1821, split.test().size());
      assertEquals(16, split.train().stream().filter(e -> e.getLabel() == 1).count());
    }
    LabeledText first = FewShotLoader.read(sst2, "test.tsv", 2).get(0);
    assertEquals("no movement , no yuks , not much of anything .", first.getText());
    assertEquals(0, first.getLabel());
  }

  @Test
  void everyDatasetLoadsWithItsTestSize() throws IOException {
    Map<String, int[]> sizes =
        Map.of(
            "sst-5", new int[] {5, 2210},
            "agnews", new int[] {4, 7600},
            "subj", new int[] {2, 2000},
            "trec", new int[] {6, 500});
    for (Map.Entry<String, int[]> e : sizes.entrySet()) {
      DataDir dir = DataDir.of(SharedData.root().resolve("few-shot/" + e.getKey()));
      FewShotSplit split = FewShotLoader.load(dir, 42, e.getValue()[0]);
      assertEquals(e.getValue()[1], split.test().size(), e.getKey());
      assertEquals(16 * e.getValue()[0], split.train().size(), e.getKey());
      assertEquals(16 * e.getValue()[0], split.dev().size(), e.getKey());
    }
  }

  @Test
  void agnewsQuotedLinesAreUnquotedLikePandas() throws IOException {
    Path file = SharedData.root().resolve("few-shot/agnews/test.tsv");
    List<String> raw = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<LabeledText> rows = FewShotLoader.read(DataDir.of(file.getParent()), "test.tsv", 4);
    // No quoted field spans lines here, so row i is file line i + 2 (after the header).
    assertEquals(raw.size() - 1, rows.size());
    long quoted = raw.stream().filter(s -> s.startsWith("\"")).count();
    assertEquals(281, quoted, "shared/data/README.md: 281 quoted lines in agnews test");
    // File line 10: "E-mail scam ... ""phishing"" after ..."<TAB>3
    assertTrue(raw.get(9).startsWith("\"E-mail scam"));
    assertEquals(
        "E-mail scam targets police chief Wiltshire Police warns about \"phishing\" after its"
            + " fraud squad chief was targeted.",
        rows.get(8).getText());
    assertEquals(3, rows.get(8).getLabel());
    for (int i = 0; i < rows.size(); i++) {
      if (raw.get(i + 1).startsWith("\"")) {
        String t = rows.get(i).getText();
        assertFalse(t.startsWith("\""), "line " + (i + 2) + " kept its opening quote: " + t);
        assertFalse(t.contains("\"\""), "line " + (i + 2) + " kept a doubled quote: " + t);
      }
    }
    // File line 281 is an unquoted line and must come through verbatim.
    assertEquals(
        raw.get(280).substring(0, raw.get(280).lastIndexOf('\t')), rows.get(279).getText());
  }

  @Test
  void subjQuotedLinesAreUnquoted() throws IOException {
    Path file = SharedData.root().resolve("few-shot/subj/test.tsv");
    List<LabeledText> rows = FewShotLoader.read(DataDir.of(file.getParent()), "test.tsv", 2);
    assertEquals(2000, rows.size());
    // File line 115: "the best part about "" gangs "" was daniel day-lewis ."<TAB>0
    assertEquals("the best part about \" gangs \" was daniel day-lewis .", rows.get(113).getText());
  }

  @Test
  void quotingRules() throws IOException {
    write(
        "q.tsv",
        "sentence\tlabel\r\n"
            + "\"a \"\"quoted\"\" review\"\t1\r\n"
            + "\r\n"
            + "an \"inner\" quote stays\t0\n"
            + "\"tab\tand\nnewline inside\"\t1\n"
            + "\"closed\" then more\t0\n"
            + "last line without newline\t1");
    List<LabeledText> rows = FewShotLoader.read(DataDir.of(tmp), "q.tsv", 2);
    assertEquals(
        List.of(
            "a \"quoted\" review",
            "an \"inner\" quote stays",
            "tab\tand\nnewline inside",
            "closed then more",
            "last line without newline"),
        rows.stream().map(LabeledText::getText).toList());
    assertEquals(List.of(1, 0, 1, 0, 1), rows.stream().map(LabeledText::getLabel).toList());
  }

  @Test
  void lineNumbersCountLinesInsideQuotes() throws IOException {
    write("n.tsv", "sentence\tlabel\n\"two\nlines\"\t0\nthree\tcolumns\t1\n");
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "n.tsv", 2));
    assertEquals(4, e.line());
  }

  @Test
  void tooManyColumns() throws IOException {
    StringBuilder sb = new StringBuilder("sentence\tlabel\n");
    for (int i = 2; i < 17; i++) {
      sb.append("fine sentence ").append(i).append("\t0\n");
    }
    sb.append("one\ttoo many\t1\n");
    write("train.tsv", sb.toString());
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "train.tsv", 2));
    assertTrue(
        e.getMessage()
            .endsWith("train.tsv:17: expected 2 tab-separated columns (sentence, label), found 3"),
        e.getMessage());
    assertEquals(17, e.line());
  }

  @Test
  void nonIntegerLabel() throws IOException {
    write("bad.tsv", "sentence\tlabel\ngood\tpositive\n");
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "bad.tsv", 2));
    assertTrue(
        e.getMessage()
            .endsWith("bad.tsv:2: label must be an integer class index, found 'positive'"),
        e.getMessage());
  }

  @Test
  void labelOutOfRange() throws IOException {
    write("range.tsv", "sentence\tlabel\ngood\t1\nbad\t2\n");
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "range.tsv", 2));
    assertTrue(
        e.getMessage().endsWith("range.tsv:3: label must be between 0 and 1, found 2"),
        e.getMessage());
    write("neg.tsv", "sentence\tlabel\nbad\t-1\n");
    e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "neg.tsv", 0));
    assertTrue(e.getMessage().endsWith("label must be 0 or more, found -1"), e.getMessage());
  }

  @Test
  void missingHeader() throws IOException {
    write("nohead.tsv", "a fine film\t1\n");
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "nohead.tsv", 2));
    assertTrue(
        e.getMessage().contains("nohead.tsv:1: expected the header 'sentence<TAB>label'"),
        e.getMessage());
  }

  @Test
  void emptyFileAndHeaderOnly() throws IOException {
    write("empty.tsv", "");
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "empty.tsv", 2));
    assertTrue(e.getMessage().contains("empty.tsv: file is empty"), e.getMessage());
    assertEquals(0, e.line());
    write("head.tsv", "sentence\tlabel\n\n");
    e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "head.tsv", 2));
    assertTrue(e.getMessage().contains("has a header but no examples"), e.getMessage());
  }

  @Test
  void unclosedQuote() throws IOException {
    write("open.tsv", "sentence\tlabel\nok\t1\n\"never closed\t0\n");
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "open.tsv", 2));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().contains("quoted field is never closed"), e.getMessage());
  }

  @Test
  void invalidUtf8() throws IOException {
    Files.write(
        tmp.resolve("latin1.tsv"),
        "sentence\tlabel\ncr\u00e8me\t1\n".getBytes(StandardCharsets.ISO_8859_1));
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> FewShotLoader.read(DataDir.of(tmp), "latin1.tsv", 2));
    assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
  }

  @Test
  void missingSplitFolder() {
    assertThrows(NoSuchFileException.class, () -> FewShotLoader.load(DataDir.of(tmp), 42, 2));
  }

  @Test
  void demoDataLoadsFromTheClasspath() throws IOException {
    FewShotSplit demo = DemoData.load();
    assertEquals(32, demo.train().size());
    assertEquals(32, demo.dev().size());
    assertEquals(100, demo.test().size());
    for (List<LabeledText> part : List.of(demo.train(), demo.dev(), demo.test())) {
      assertEquals(part.size() / 2, part.stream().filter(x -> x.getLabel() == 1).count());
    }
    assertEquals("sentiment", DemoData.dir().baseName());
  }

  private void write(String name, String content) throws IOException {
    Files.writeString(tmp.resolve(name), content, StandardCharsets.UTF_8);
  }
}
