package dev.pin.scorer.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
import dev.pin.v1.Method;
import dev.pin.v1.Prompt;
import dev.pin.v1.ReportAsset;
import dev.pin.v1.ReportPrompt;
import dev.pin.v1.ReportRequest;
import dev.pin.v1.ReportResponse;
import dev.pin.v1.ReportRun;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Markdown, HTML and PNG rendering of reports. */
class ReportRendererTest {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  static Curve curve(String name, double... values) {
    Curve.Builder c = Curve.newBuilder().setName(name);
    for (int i = 0; i < values.length; i++) {
      c.addPoints(CurvePoint.newBuilder().setStep(i * 10L).setValue(values[i]));
    }
    return c.build();
  }

  private static ReportPrompt prompt(String label, String text, double accuracy) {
    return ReportPrompt.newBuilder().setLabel(label).setPrompt(Prompt.newBuilder().setText(text))
        .putScores("test_accuracy", accuracy).build();
  }

  private static final ReportRenderer.Provenance PROVENANCE = new ReportRenderer.Provenance(
      "tiny-bert-mlm", "masked-LM pseudo-perplexity", 20, "/usr/share/dict/american-english");

  @Test
  void rendersOneRowPerPromptWithScoresAndReadability() throws Exception {
    ReportRequest request = ReportRequest.newBuilder().setTitle("SST-2 <demo>")
        .addRuns(ReportRun.newBuilder().setRunId("run-1").setName("PIN on SST-2")
            .setMethod(Method.METHOD_PIN)
            .addPrompts(prompt("PIN best", "absolutely great | review", 84.2))
            .addPrompts(ReportPrompt.newBuilder().setLabel("empty <b>")
                .setPrompt(Prompt.newBuilder().setText("the")).putScores("dev_reward", -3.5))
            .addCurves(curve("reward/mean", 1, 3, 2, 5, Double.NaN, 8))
            .addCurves(curve("dev/accuracy", 50, 60, 70)))
        .addRuns(ReportRun.newBuilder().setRunId("run 2").setMethod(Method.METHOD_RLPROMPT))
        .build();
    List<List<ReadabilityRow>> rows = List.of(
        List.of(new ReadabilityRow(123.456, 0.75, 0.5, 0.0),
            new ReadabilityRow(2.5, 1.0, 1.0, Double.NaN)),
        List.of());
    ReportResponse r = ReportRenderer.render(request, rows, PROVENANCE);

    String md = r.getMarkdown();
    assertTrue(md.startsWith("# SST-2 <demo>\n"), md);
    assertTrue(md.contains("| label | prompt | dev\\_reward | test\\_accuracy | pseudo-PPL"
        + " | dictionary share | prior top-k share | repetition |"), md);
    assertTrue(md.contains("| PIN best | absolutely great \\| review | – | 84.2 | 123.5 | 0.75"
        + " | 0.50 | 0.00 |"), md);
    assertTrue(md.contains("| empty \\<b\\> | the | -3.5 | – | 2.5 | 1.00 | 1.00 | – |"), md);
    assertTrue(md.contains("![Training curves of PIN on SST-2](curves-run-1.png)"), md);
    assertTrue(md.contains("## run 2"), md);
    assertTrue(md.contains("No prompts."), md);
    assertTrue(md.contains("`tiny-bert-mlm`") && md.contains("k = 20"), md);

    String html = r.getHtml();
    assertTrue(html.startsWith("<!DOCTYPE html>"), html);
    assertTrue(html.contains("<title>SST-2 &lt;demo&gt;</title>"), html);
    assertTrue(html.contains("<td>empty &lt;b&gt;</td>"), html);
    assertFalse(html.contains("<b>"), html);
    assertTrue(html.contains("<img src=\"curves-run-1.png\""), html);
    assertTrue(html.contains("<td class=\"num\">123.5</td>"), html);

    assertEquals(1, r.getAssetsCount(), "only runs with curves get a chart");
    ReportAsset asset = r.getAssets(0);
    assertEquals("curves-run-1.png", asset.getName());
    assertEquals("image/png", asset.getContentType());
    byte[] png = asset.getData().toByteArray();
    assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(png, 8));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertNotNull(image, "decodable PNG");
    assertEquals(CurveChart.WIDTH, image.getWidth());
    assertEquals(CurveChart.TITLE_HEIGHT + 2 * CurveChart.PANEL_HEIGHT, image.getHeight());
    // The curve is drawn: its colour appears inside the first panel.
    boolean coloured = false;
    int top = CurveChart.TITLE_HEIGHT;
    for (int x = 0; x < image.getWidth() && !coloured; x++) {
      for (int y = top; y < top + CurveChart.PANEL_HEIGHT && !coloured; y++) {
        coloured = (image.getRGB(x, y) & 0xffffff) == 0x1f77b4;
      }
    }
    assertTrue(coloured, "the first curve's line is in the first panel");
  }

  @Test
  void aRunWithATaskHandleGetsRoundTripAndTextVsIdsColumns() {
    ReportRequest request = ReportRequest.newBuilder()
        .addRuns(ReportRun.newBuilder().setRunId("run-1").setTaskHandle("task-1")
            .addPrompts(prompt("best 1", "great movie", 80))
            .addPrompts(prompt("best 2", "the", 70))
            .addPrompts(prompt("best 3", "manual", 60)))
        .addRuns(ReportRun.newBuilder().setRunId("run-2")
            .addPrompts(prompt("best 1", "fun", 50)))
        .build();
    ReportResponse r = ReportRenderer.render(request, List.of(
        List.of(new ReadabilityRow(10, 1, 1, 0).withFaithfulness(1, 0),
            new ReadabilityRow(20, 1, 1, 0).withFaithfulness(0, -12.34567),
            new ReadabilityRow(30, 1, 1, 0).withFaithfulness(Double.NaN, Double.NaN)),
        List.of(new ReadabilityRow(40, 1, 1, 0))), PROVENANCE);
    String md = r.getMarkdown();
    assertTrue(md.contains("| repetition | round trip | R(text) − R(ids) |\n"), md);
    assertTrue(md.contains("| great movie | 80 | 10 | 1.00 | 1.00 | 0.00 | 1 | 0 |"), md);
    assertTrue(md.contains("| the | 70 | 20 | 1.00 | 1.00 | 0.00 | 0 | -12.35 |"), md);
    assertTrue(md.contains("| manual | 60 | 30 | 1.00 | 1.00 | 0.00 | – | – |"), md);
    // Without a task handle the run's table has no faithfulness columns.
    String second = md.substring(md.indexOf("## run-2"));
    assertFalse(second.contains("round trip"), second);
    assertTrue(second.contains("| fun | 50 | 40 | 1.00 | 1.00 | 0.00 |\n"), second);
    assertTrue(r.getHtml().contains("<th>R(text) − R(ids)</th>"), r.getHtml());
  }

  @Test
  void assetNamesAreSafeAndUnique() {
    List<String> names = ReportRenderer.assetNames(List.of(
        ReportRun.newBuilder().setRunId("run/1").build(),
        ReportRun.newBuilder().setRunId("run?1").build(),
        ReportRun.newBuilder().setRunId("ok-2").build()));
    assertEquals(List.of("curves-run_1.png", "curves-run_1-2.png", "curves-ok-2.png"), names);
  }

  @Test
  void singlePointAndAllNonFiniteCurvesStillRender() throws Exception {
    byte[] png = CurveChart.png("edge cases", List.of(curve("one", 3.0),
        curve("none", Double.NaN, Double.POSITIVE_INFINITY), curve("flat", 2, 2, 2)));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertEquals(CurveChart.TITLE_HEIGHT + 3 * CurveChart.PANEL_HEIGHT, image.getHeight());
  }

  @Test
  void numbersAreFormattedCompactly() {
    assertEquals("84.2", Numbers.format(84.2));
    assertEquals("123.5", Numbers.format(123.456));
    assertEquals("12350", Numbers.format(12345.6));
    assertEquals("0.001235", Numbers.format(0.0012345));
    assertEquals("0", Numbers.format(0));
  }

  @Test
  void twoRunsWithCurvesGetAComparisonChartOneRunDoesNot() throws Exception {
    Curve dev = CurveChartTest.curve("greedy prompt", ReportRenderer.DEV_SCORE_PANEL,
        "dev accuracy (%)", new long[] {2, 4}, 50, 60);
    Curve reward = CurveChartTest.curve("mean", ReportRenderer.REWARD_PANEL, "reward R",
        new long[] {1, 2, 3, 4}, 1, 2, 3, 4);
    ReportRun pin = ReportRun.newBuilder().setRunId("run-1").setName("demo")
        .setMethod(Method.METHOD_PIN).addCurves(dev).addCurves(reward).build();
    ReportRun rlprompt = ReportRun.newBuilder().setRunId("run-2")
        .setMethod(Method.METHOD_RLPROMPT).addCurves(reward).build();
    ReportResponse two = ReportRenderer.render(ReportRequest.newBuilder().setTitle("PIN vs RL")
        .addRuns(pin).addRuns(rlprompt).build(), List.of(List.of(), List.of()), PROVENANCE);
    assertEquals(List.of(ReportRenderer.COMPARISON, "curves-run-1.png", "curves-run-2.png"),
        two.getAssetsList().stream().map(ReportAsset::getName).toList());
    // A paragraph of its own under the provenance line, not inline with it.
    assertTrue(two.getMarkdown().contains(".\n\n![Runs compared"), two.getMarkdown());
    assertTrue(two.getMarkdown().contains("](comparison.png)"), two.getMarkdown());
    assertTrue(two.getHtml().contains("<img src=\"comparison.png\""), two.getHtml());
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(
        two.getAssets(0).getData().toByteArray()));
    assertEquals(CurveChart.TITLE_HEIGHT + 2 * CurveChart.PANEL_HEIGHT, image.getHeight());
    assertEquals("PIN demo (run-1)", ReportRenderer.label(pin));
    assertEquals("RLPrompt run-2", ReportRenderer.label(rlprompt));

    ReportResponse one = ReportRenderer.render(ReportRequest.newBuilder().addRuns(pin).build(),
        List.of(List.of()), PROVENANCE);
    assertEquals(List.of("curves-run-1.png"),
        one.getAssetsList().stream().map(ReportAsset::getName).toList());
    assertFalse(one.getMarkdown().contains("comparison.png"));
  }

  /**
   * Every run's table has every run's score columns, known ones first: a soft-prompt run's
   * faithfulness columns stand beside the RL run's scores, which shows – in them.
   */
  @Test
  void faithfulnessColumnsLineUpAcrossMethodsWithDashesForRl() {
    ReportRequest request = ReportRequest.newBuilder()
        .addRuns(ReportRun.newBuilder().setRunId("run-s").setMethod(Method.METHOD_SOFT_PROMPT)
            .addPrompts(ReportPrompt.newBuilder().setLabel("best 1")
                .setPrompt(Prompt.newBuilder().setText("great movie"))
                .putScores("dev_score", 75).putScores("test_score", 70)
                .putScores("continuous_dev", 75).putScores("projection_dev", 62.5)
                .putScores("agreement_dev", 0.8125).putScores("zeta", 1)))
        .addRuns(ReportRun.newBuilder().setRunId("run-p").setMethod(Method.METHOD_PIN)
            .addPrompts(ReportPrompt.newBuilder().setLabel("best 1")
                .setPrompt(Prompt.newBuilder().setText("it was")).putScores("dev_score", 60)))
        .build();
    ReportResponse r = ReportRenderer.render(request, List.of(
        List.of(new ReadabilityRow(10, 1, 1, 0)), List.of(new ReadabilityRow(20, 1, 1, 0))),
        PROVENANCE);
    String md = r.getMarkdown();
    String header = "| label | prompt | dev\\_score | test\\_score | continuous\\_dev"
        + " | projection\\_dev | agreement\\_dev | zeta | pseudo-PPL";
    assertEquals(2, md.split(java.util.regex.Pattern.quote(header), -1).length - 1, md);
    assertTrue(md.contains("| best 1 | great movie | 75 | 70 | 75 | 62.5 | 0.8125 | 1 |"), md);
    assertTrue(md.contains("| best 1 | it was | 60 | – | – | – | – | – |"), md);
    assertTrue(md.contains("method soft prompt."), md);
    assertTrue(md.contains("Faithfulness columns (PEZ and soft prompts, §7.2)"), md);
  }
}
