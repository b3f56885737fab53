package dev.pin.scorer.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.DoubleFunction;
import javax.imageio.ImageIO;

/**
 * The Java2D drawing {@link CurveChart} and {@link TradeOffChart} share: the white canvas with its
 * title, the shaded plot area, the tick grid with its labels, and the PNG encoding. The charts'
 * static initialisers set {@code java.awt.headless} before any of this runs.
 */
final class Charts {
  private static final Color PLOT_BACKGROUND = new Color(0xf7f7f7);
  private static final Color GRID = new Color(0xdddddd);

  private Charts() {}

  /** Antialiasing on, the whole image white, {@code title} in bold at ({@code x}, {@code y}). */
  static void canvas(Graphics2D g, int width, int height, String title, int x, int y) {
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
        RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, x, y);
  }

  /** The shaded, framed plot area; leaves the 11 pt plain font set for the labels. */
  static void plotArea(Graphics2D g, int x, int y, int w, int h) {
    g.setColor(PLOT_BACKGROUND);
    g.fillRect(x, y, w, h);
    g.setColor(Color.GRAY);
    g.drawRect(x, y, w, h);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
  }

  /**
   * Grid lines and labels at every tick: y ticks (labelled by {@link Ticks#label}) left of the
   * plot, then x ticks (labelled by {@code xLabel}) under it. The first and last tick of each axis
   * are the plot's edges.
   */
  static void grid(Graphics2D g, int x, int y, int w, int h, double[] xTicks,
      DoubleFunction<String> xLabel, double[] yTicks) {
    FontMetrics fm = g.getFontMetrics();
    double x0 = xTicks[0];
    double x1 = xTicks[xTicks.length - 1];
    double y0 = yTicks[0];
    double y1 = yTicks[yTicks.length - 1];
    for (double t : yTicks) {
      int py = y + h - (int) Math.round((t - y0) / (y1 - y0) * h);
      g.setColor(GRID);
      g.drawLine(x, py, x + w, py);
      g.setColor(Color.DARK_GRAY);
      String label = Ticks.label(t, yTicks);
      g.drawString(label, x - 6 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
    }
    for (double t : xTicks) {
      int px = x + (int) Math.round((t - x0) / (x1 - x0) * w);
      g.setColor(GRID);
      g.drawLine(px, y, px, y + h);
      g.setColor(Color.DARK_GRAY);
      String label = xLabel.apply(t);
      g.drawString(label, px - fm.stringWidth(label) / 2, y + h + fm.getAscent() + 4);
    }
  }

  /** PNG bytes of {@code image}. */
  static byte[] png(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("this JRE has no PNG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
