package dev.pin.scorer.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.AxisPair;
import org.knowm.xchart.internal.chartpart.Chart;

/** The XChart panels of training curves and of runs overlaid. */
class CurveChartTest {
  static Curve curve(String name, String panel, String yAxis, long[] steps, double... values) {
    Curve.Builder c = Curve.newBuilder().setName(name).setPanel(panel).setYAxis(yAxis);
    for (int i = 0; i < values.length; i++) {
      c.addPoints(CurvePoint.newBuilder().setStep(steps[i]).setValue(values[i]));
    }
    return c.build();
  }

  /** The x tick labels XChart drew (its axis pair is not public API, hence reflection). */
  static List<String> xTickLabels(XYChart chart) throws ReflectiveOperationException {
    BufferedImage image = new BufferedImage(CurveChart.WIDTH, CurveChart.PANEL_HEIGHT,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    chart.paint(g, CurveChart.WIDTH, CurveChart.PANEL_HEIGHT);
    g.dispose();
    Field pair = Chart.class.getDeclaredField("axisPair");
    pair.setAccessible(true);
    return ((AxisPair<?, ?>) pair.get(chart)).getXAxis().getAxisTickCalculator().getTickLabels();
  }

  private static final long[] STEPS = {1, 2, 3, 4};

  @Test
  void curvesOfOnePanelShareItsAxesUnderALegendAndAUnit() {
    List<XYChart> panels = CurveChart.panels(List.of(
        curve("mean", "reward", "reward R (§6.1 gap reward)", STEPS, 1, 2, 3, 4),
        curve("greedy prompt", "dev score", "dev accuracy (%)", new long[] {2, 4}, 50, 55),
        curve("best sampled", "dev score", "dev accuracy (%)", new long[] {2, 4}, 60, 65),
        curve("max", "reward", "", STEPS, 5, 6, 7, 8),
        curve("old client", "", "", STEPS, 9, 9, 9, 9)));
    assertEquals(List.of("reward", "dev score", "old client"),
        panels.stream().map(XYChart::getTitle).toList());
    XYChart dev = panels.get(1);
    assertEquals(List.of("greedy prompt", "best sampled"), List.copyOf(dev.getSeriesMap().keySet()));
    assertEquals("dev accuracy (%)", dev.getYAxisTitle());
    assertEquals(CurveChart.STEP_AXIS, dev.getXAxisTitle());
    assertTrue(dev.getStyler().isLegendVisible());
    assertEquals("reward R (§6.1 gap reward)", panels.get(0).getYAxisTitle());
    assertEquals(List.of("mean", "max"), List.copyOf(panels.get(0).getSeriesMap().keySet()));
    // A curve without a panel (an older client) is a panel of its own, titled with its name.
    assertEquals("old client", panels.get(2).getYAxisTitle());
  }

  @Test
  void everyPanelSpansTheRunsStepRange() {
    List<XYChart> panels = CurveChart.panels(List.of(
        curve("mean", "reward", "", STEPS, 1, 2, 3, 4),
        curve("greedy", "dev score", "", new long[] {2, 4}, 50, 55),
        curve("loss", "loss", "", new long[] {3, 4}, 900, 800)));
    for (XYChart c : panels) {
      assertEquals(1.0, c.getStyler().getXAxisMin(), c.getTitle());
      assertEquals(4.0, c.getStyler().getXAxisMax(), c.getTitle());
    }
  }

  @Test
  void stepTicksAreWholeNumbers() throws Exception {
    for (long[] steps : List.of(new long[] {0, 1, 3}, new long[] {1, 2}, new long[] {0, 7},
        new long[] {1, 2, 4, 7, 11, 16, 22, 30})) {
      double[] values = new double[steps.length];
      Arrays.fill(values, 1);
      XYChart chart = CurveChart.panels(List.of(curve("c", "p", "", steps, values))).get(0);
      List<String> labels = xTickLabels(chart);
      assertFalse(labels.isEmpty());
      for (String label : labels) {
        assertTrue(label.matches("-?[0-9,]+"), Arrays.toString(steps) + " → " + labels);
      }
      assertEquals(labels.size(), labels.stream().distinct().count(), labels.toString());
    }
  }

  @Test
  void aLongRunGetsRoundStepTicksNotOneOnEveryOtherStep() throws Exception {
    // XChart labels every other point of an equally spaced x series (50 labels for 100 steps).
    for (int n : new int[] {30, 100, 200, 1000}) {
      long[] steps = new long[n];
      double[] values = new double[n];
      for (int i = 0; i < n; i++) {
        steps[i] = i + 1;
        values[i] = Math.sin(i);
      }
      XYChart chart = CurveChart.panels(List.of(curve("c", "p", "", steps, values))).get(0);
      List<String> labels = xTickLabels(chart);
      assertTrue(labels.size() >= 4 && labels.size() <= 18, n + " steps → " + labels);
      long tick = Long.parseLong(labels.get(1).replace(",", ""))
          - Long.parseLong(labels.get(0).replace(",", ""));
      assertTrue(tick >= 2 && (tick % 5 == 0 || tick == 2), n + " steps → " + labels);
      assertEquals(List.of("c"), List.copyOf(chart.getSeriesMap().keySet()).stream()
          .filter(name -> !name.equals(Charts.TICK_HELPER)).toList());
      assertFalse(chart.getSeriesMap().get(Charts.TICK_HELPER).isShowInLegend());
    }
  }

  @Test
  void withoutTheStepPatternXChartWouldDrawFractionalSteps() throws Exception {
    // The control for the test above: the same data on a plain numeric axis gets 0.5 ticks.
    XYChart plain = Charts.panel("p", "x", "y", List.of(new Charts.Series("c",
        new double[] {0, 1, 3}, new double[] {1, 1, 1})), CurveChart.WIDTH,
        CurveChart.PANEL_HEIGHT, false);
    assertTrue(xTickLabels(plain).stream().anyMatch(l -> l.contains(".")),
        xTickLabels(plain).toString());
  }

  @Test
  void nonFiniteValuesAreLeftOutAndAnEmptyPanelStillRenders() throws Exception {
    List<XYChart> panels = CurveChart.panels(List.of(
        curve("loss", "loss", "", STEPS, 3, Double.NaN, Double.POSITIVE_INFINITY, 1),
        curve("none", "none", "", new long[] {1}, Double.NaN)));
    double[] x = panels.get(0).getSeriesMap().get("loss").getXData();
    assertEquals(List.of(1.0, 4.0), Arrays.stream(x).boxed().toList());
    assertTrue(panels.get(1).getSeriesMap().isEmpty());
    byte[] png = CurveChart.png("t", List.of(curve("none", "", "", new long[] {1}, Double.NaN)));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertEquals(CurveChart.TITLE_HEIGHT + CurveChart.PANEL_HEIGHT, image.getHeight());
  }

  @Test
  void overlayPutsEveryRunsFirstCurveOfAPanelOnSharedAxes() throws Exception {
    List<Curve> pin = List.of(
        curve("mean", "reward", "reward R", STEPS, 1, 2, 3, 4),
        curve("max", "reward", "reward R", STEPS, 5, 6, 7, 8),
        curve("greedy prompt", "dev score", "dev accuracy (%)", new long[] {2, 4}, 50, 60));
    List<Curve> rlprompt = List.of(
        curve("mean", "reward", "reward R", new long[] {1, 2, 3, 4, 5, 6}, 0, 1, 1, 2, 2, 3),
        curve("loss", "loss", "", new long[] {1}, 7));
    List<XYChart> charts = CurveChart.overlayPanels(List.of(
        new CurveChart.LabelledRun("PIN (run-1)", pin),
        new CurveChart.LabelledRun("RLPrompt (run-2)", rlprompt)),
        List.of("dev score", "reward"));
    assertEquals(List.of("dev score", "reward"), charts.stream().map(XYChart::getTitle).toList());
    assertEquals(List.of("PIN (run-1) · greedy prompt"),
        List.copyOf(charts.get(0).getSeriesMap().keySet()));
    assertEquals(List.of("PIN (run-1) · mean", "RLPrompt (run-2) · mean"),
        List.copyOf(charts.get(1).getSeriesMap().keySet()));
    assertEquals("dev accuracy (%)", charts.get(0).getYAxisTitle());
    for (XYChart c : charts) {
      assertEquals(1.0, c.getStyler().getXAxisMin());
      assertEquals(6.0, c.getStyler().getXAxisMax());
    }
    byte[] png = CurveChart.overlay("compared", List.of(
        new CurveChart.LabelledRun("PIN (run-1)", pin),
        new CurveChart.LabelledRun("RLPrompt (run-2)", rlprompt)), List.of("dev score", "reward"));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertEquals(CurveChart.TITLE_HEIGHT + 2 * CurveChart.PANEL_HEIGHT, image.getHeight());
  }

  @Test
  void aSingleValueGetsAYAxisAroundIt() {
    XYChart chart = Charts.panel("dev", "training step", "dev accuracy", List.of(
        new Charts.Series("greedy", new double[] {5}, new double[] {71.875})), 400, 300, true);
    assertTrue(chart.getStyler().getYAxisMin() < 71.875, "" + chart.getStyler().getYAxisMin());
    assertTrue(chart.getStyler().getYAxisMax() > 71.875, "" + chart.getStyler().getYAxisMax());
  }
}
