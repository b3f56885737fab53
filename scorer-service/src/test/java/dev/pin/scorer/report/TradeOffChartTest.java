package dev.pin.scorer.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The λ-sweep trade-off chart and narrow-range tick labels. */
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
    assertEquals(TradeOffChart.HEIGHT, image.getHeight());
    // log10 30 ≈ 1.5 and log10 40 000 ≈ 4.6 on ticks 1 … 5: the low-perplexity point sits in the
    // left quarter of the plot, the other in the right quarter; both are drawn in the line colour.
    int plotLeft = 80;
    int plotRight = TradeOffChart.WIDTH - 40;
    int quarter = (plotRight - plotLeft) / 4;
    assertTrue(coloured(image, 0x1f77b4, plotLeft, plotLeft + quarter) > 20, "λ=1 point");
    assertTrue(coloured(image, 0x1f77b4, plotRight - quarter, plotRight) > 20, "λ=0 point");
  }

  @Test
  void tickLabelsKeepNarrowRangesDistinct() {
    double[] ticks = Ticks.nice(497.20, 497.24, 5);
    assertEquals("497.20", Ticks.label(ticks[0], ticks));
    assertEquals("497.21", Ticks.label(ticks[1], ticks));
    double[] wide = Ticks.nice(0, 100, 6);
    assertEquals("20", Ticks.label(wide[1], wide));
    double[] tiny = Ticks.nice(-2e-9, 2e-9, 5);
    assertEquals("0", Ticks.label(0.0, tiny));
    assertTrue(Ticks.label(tiny[tiny.length - 1], tiny).contains("e-09"),
        Ticks.label(tiny[tiny.length - 1], tiny));
  }
}
