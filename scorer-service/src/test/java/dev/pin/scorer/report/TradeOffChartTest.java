package dev.pin.scorer.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The λ-sweep trade-off chart. */
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

  @Test
  void pointsAreDrawnOnALogAxisAndNonFiniteOnesListed() throws Exception {
    byte[] png = TradeOffChart.png("sweep", "perplexity", "accuracy", List.of(
        new TradeOffChart.Point("λ=0", 40_000, 80), new TradeOffChart.Point("λ=1", 30, 60),
        new TradeOffChart.Point("λ=10", Double.NaN, 50)));
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
    org.knowm.xchart.XYChart chart = TradeOffChart.chart("perplexity", "accuracy (%)", List.of(
        new TradeOffChart.Point("λ=0", 40_000, 80), new TradeOffChart.Point("λ=1", 30, 60)));
    assertTrue(chart.getStyler().isXAxisLogarithmic());
    assertEquals(10.0, chart.getStyler().getXAxisMin());
    assertEquals(100_000.0, chart.getStyler().getXAxisMax());
    assertEquals("perplexity (log scale)", chart.getXAxisTitle());
    assertEquals("accuracy (%)", chart.getYAxisTitle());
  }
}
