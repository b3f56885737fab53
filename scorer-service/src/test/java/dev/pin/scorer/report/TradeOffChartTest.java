package dev.pin.scorer.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The readability sweep's trade-off chart. */
class TradeOffChartTest {
  private static int coloured(BufferedImage image, int rgb, int x0, int x1) {
    int n = 0;
    for (int x = x0; x < x1; x++) {
      for (int y = 0; y < image.getHeight(); y++) {
        if ((image.getRGB(x, y) & 0xffffff) == rgb) {
          n++;
        }
      }
    }
    return n;
  }

  private static TradeOffChart.Series lambdas(TradeOffChart.Point... points) {
    return new TradeOffChart.Series("PIN", "PIN: R − λ·log PPL", List.of(points));
  }

  private static TradeOffChart.Series weights(TradeOffChart.Point... points) {
    return new TradeOffChart.Series("PEZ", "PEZ: w·NLL + (1−w)·L_task", List.of(points));
  }

  /** Paints the plot as {@code png} would, so that its labels are placed. */
  private static TradeOffChart.Plot painted(TradeOffChart.Plot plot) {
    BufferedImage image = new BufferedImage(TradeOffChart.WIDTH, TradeOffChart.HEIGHT,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    plot.chart().paint(g, TradeOffChart.WIDTH, TradeOffChart.HEIGHT);
    g.dispose();
    return plot;
  }

  @Test
  void pointsAreDrawnOnALogAxisAndNonFiniteOnesListed() throws Exception {
    byte[] png = TradeOffChart.png("sweep", "perplexity", "accuracy", List.of(lambdas(
        new TradeOffChart.Point("λ=0", 40_000, 80), new TradeOffChart.Point("λ=1", 30, 60),
        new TradeOffChart.Point("λ=10", Double.NaN, 50))));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertEquals(TradeOffChart.WIDTH, image.getWidth());
    // The title strip, the plot, and a footnote line listing λ=10.
    assertEquals(CurveChart.TITLE_HEIGHT + TradeOffChart.HEIGHT + 24, image.getHeight());
    // log10 30 ≈ 1.5 and log10 40 000 ≈ 4.6 on ticks 1 … 5: the low-perplexity point sits in the
    // left quarter of the plot, the other in the right quarter; both are drawn in the line colour.
    int plotLeft = 80;
    int plotRight = TradeOffChart.WIDTH - 40;
    int quarter = (plotRight - plotLeft) / 4;
    assertTrue(coloured(image, 0x1f77b4, plotLeft, plotLeft + quarter) > 20, "λ=1 point");
    assertTrue(coloured(image, 0x1f77b4, plotRight - quarter, plotRight) > 20, "λ=0 point");
  }

  @Test
  void theXAxisIsLogarithmicOverWholeDecadesWithTitledAxes() {
    org.knowm.xchart.XYChart chart = TradeOffChart.plot("perplexity", "accuracy (%)", List.of(
        lambdas(new TradeOffChart.Point("λ=0", 40_000, 80),
            new TradeOffChart.Point("λ=1", 30, 60)))).chart();
    assertTrue(chart.getStyler().isXAxisLogarithmic());
    assertEquals(10.0, chart.getStyler().getXAxisMin());
    assertEquals(100_000.0, chart.getStyler().getXAxisMax());
    assertEquals("perplexity (log scale)", chart.getXAxisTitle());
    assertEquals("accuracy (%)", chart.getYAxisTitle());
    // Room for the labels above the highest point and below the lowest.
    assertTrue(chart.getStyler().getYAxisMax() > 80 && chart.getStyler().getYAxisMin() < 60);
  }

  @Test
  void oneSeriesPerMethodEveryPointLabelledInItsColourWithoutOverlaps() throws Exception {
    TradeOffChart.Plot plot = painted(TradeOffChart.plot("pseudo-perplexity", "accuracy (%)",
        List.of(lambdas(new TradeOffChart.Point("λ=0", 5_000, 70),
                new TradeOffChart.Point("λ=1", 4_000, 69.5),
                new TradeOffChart.Point("λ=5", 300, 61)),
            weights(new TradeOffChart.Point("w=0", 900_000, 58),
                new TradeOffChart.Point("w=0.5", 800_000, 58),
                new TradeOffChart.Point("w=0.9", 5_000, 70)))));
    assertEquals(List.of("PIN: R − λ·log PPL", "PEZ: w·NLL + (1−w)·L_task"),
        List.copyOf(plot.chart().getSeriesMap().keySet()));
    assertTrue(plot.chart().getStyler().isLegendVisible());
    List<TradeOffChart.PlacedLabel> labels = plot.labels().placed();
    assertEquals(List.of("λ=0", "λ=1", "λ=5", "w=0", "w=0.5", "w=0.9"),
        labels.stream().map(TradeOffChart.PlacedLabel::text).toList());
    assertEquals(List.of(0, 0, 0, 1, 1, 1),
        labels.stream().map(TradeOffChart.PlacedLabel::series).toList());
    // Close points (λ=0 and λ=1; w=0 and w=0.5) and a point of each series at the same place
    // (λ=0 and w=0.9): every label has a spot of its own.
    for (int i = 0; i < labels.size(); i++) {
      for (int j = i + 1; j < labels.size(); j++) {
        Rectangle2D a = labels.get(i).box();
        Rectangle2D b = labels.get(j).box();
        assertFalse(a.intersects(b), labels.get(i) + " overlaps " + labels.get(j));
      }
    }
  }

  @Test
  void runsThatFoundTheSamePromptShareOneLabel() {
    TradeOffChart.Plot plot = painted(TradeOffChart.plot("ppl", "accuracy (%)", List.of(
        lambdas(new TradeOffChart.Point("λ=0", 5_000, 70),
            new TradeOffChart.Point("λ=1", 5_000, 70),
            new TradeOffChart.Point("λ=5", 300, 61)))));
    assertEquals(List.of("λ=0, λ=1", "λ=5"), plot.labels().placed().stream()
        .map(TradeOffChart.PlacedLabel::text).toList());
  }

  @Test
  void bothSeriesAreDrawnInTheirColours() throws Exception {
    byte[] png = TradeOffChart.png("sweep", "ppl", "accuracy", List.of(
        lambdas(new TradeOffChart.Point("λ=0", 100, 80), new TradeOffChart.Point("λ=1", 50, 70)),
        weights(new TradeOffChart.Point("w=0", 10_000, 60),
            new TradeOffChart.Point("w=0.5", Double.NaN, 55))));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertTrue(coloured(image, 0x1f77b4, 0, image.getWidth()) > 50, "PIN's colour");
    assertTrue(coloured(image, 0xd62728, 0, image.getWidth()) > 50, "PEZ's colour");
    // A footnote names the point that has no perplexity, with its method.
    assertEquals(CurveChart.TITLE_HEIGHT + TradeOffChart.HEIGHT + 24, image.getHeight());
  }

  /** What a real sweep looks like (made-up numbers), under target/ for a person to look at. */
  @Test
  void aSweepOfThreeMethodsRendersEveryLabel() throws Exception {
    List<TradeOffChart.Series> series = List.of(
        new TradeOffChart.Series("RLPrompt", "RLPrompt: reward R − λ·log PPL", List.of(
            new TradeOffChart.Point("λ=0", 590_028, 57.6), new TradeOffChart.Point("λ=1", 80_000,
                56.0), new TradeOffChart.Point("λ=5", 9_000, 52.3))),
        lambdas(new TradeOffChart.Point("λ=0", 111_196, 70.1),
            new TradeOffChart.Point("λ=1", 20_000, 68.0), new TradeOffChart.Point("λ=5", 3_944,
                60.3)),
        weights(new TradeOffChart.Point("w=0", 148_743, 58.8),
            new TradeOffChart.Point("w=0.5", 120_000, 58.0),
            new TradeOffChart.Point("w=0.9", 9_500, 52.0)));
    byte[] png = TradeOffChart.png("Readability trade-off on sst-2 (16-shot split 42): RLPrompt "
        + "over λ, PIN over λ, PEZ over w", "pseudo-perplexity of the output prompt under "
        + "bert-base-uncased", "test accuracy of the output prompt (%)", series);
    java.nio.file.Path file = java.nio.file.Path.of("target", "tradeoff-chart-test",
        "three-methods.png");
    java.nio.file.Files.createDirectories(file.getParent());
    java.nio.file.Files.write(file, png);
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    for (int rgb : new int[] {0x1f77b4, 0xd62728, 0x2ca02c}) {
      assertTrue(coloured(image, rgb, 0, image.getWidth()) > 50, Integer.toHexString(rgb));
    }
    TradeOffChart.Plot plot = painted(TradeOffChart.plot("ppl", "accuracy", series));
    List<TradeOffChart.PlacedLabel> labels = plot.labels().placed();
    assertEquals(9, labels.size());
    for (int i = 0; i < labels.size(); i++) {
      for (int j = i + 1; j < labels.size(); j++) {
        assertFalse(labels.get(i).box().intersects(labels.get(j).box()),
            labels.get(i) + " overlaps " + labels.get(j));
      }
    }
  }
}
