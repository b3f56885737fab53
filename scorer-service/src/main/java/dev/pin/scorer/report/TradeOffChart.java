package dev.pin.scorer.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The trade-off curve of a perplexity-regularisation sweep (ALGORITHMS.md §7.2): one labelled point
 * per λ at (perplexity of the learned prompt, its task score), joined in sweep order. Perplexities
 * of prompts span orders of magnitude, so the x axis is log10. Points with a non-finite coordinate
 * are listed under the plot instead of drawn.
 */
public final class TradeOffChart {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /**
   * One run of the sweep.
   *
   * @param label e.g. {@code λ=0.1}
   * @param perplexity the learned prompt's (pseudo-)perplexity, > 0
   * @param score its task score
   */
  public record Point(String label, double perplexity, double score) {
    boolean drawable() {
      return Double.isFinite(perplexity) && perplexity > 0 && Double.isFinite(score);
    }
  }

  public static final int WIDTH = 900;
  public static final int HEIGHT = 560;
  private static final int LEFT = 80;
  private static final int RIGHT = 40;
  private static final int TOP = 50;
  private static final int BOTTOM = 90;
  private static final Color LINE = new Color(0x1f77b4);

  private TradeOffChart() {}

  /** PNG bytes of the sweep's points under {@code title}. */
  public static byte[] png(String title, String xLabel, String yLabel, List<Point> points) {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      Charts.canvas(g, WIDTH, HEIGHT, title, LEFT, 24);
      draw(g, xLabel, yLabel, points);
    } finally {
      g.dispose();
    }
    return Charts.png(image);
  }

  private static void draw(Graphics2D g, String xLabel, String yLabel, List<Point> points) {
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    Charts.plotArea(g, LEFT, TOP, plotW, plotH);
    FontMetrics fm = g.getFontMetrics();
    List<Point> drawn = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Point p : points) {
      if (p.drawable()) {
        drawn.add(p);
      } else {
        skipped.add(p.label());
      }
    }
    if (!skipped.isEmpty()) {
      g.setColor(Color.DARK_GRAY);
      g.drawString("not drawn (no finite perplexity or score): " + String.join(", ", skipped),
          LEFT, HEIGHT - 12);
    }
    if (drawn.isEmpty()) {
      g.drawString("no points to draw", LEFT + plotW / 2 - 40, TOP + plotH / 2);
      return;
    }
    double minX = Double.POSITIVE_INFINITY;
    double maxX = Double.NEGATIVE_INFINITY;
    double minY = Double.POSITIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    for (Point p : drawn) {
      double x = Math.log10(p.perplexity());
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, p.score());
      maxY = Math.max(maxY, p.score());
    }
    double[] xTicks = Ticks.nice(minX, maxX, 6);
    double[] yTicks = Ticks.nice(minY, maxY, 6);
    double x0 = xTicks[0];
    double x1 = xTicks[xTicks.length - 1];
    double y0 = yTicks[0];
    double y1 = yTicks[yTicks.length - 1];
    // Tick t sits at perplexity 10^t.
    Charts.grid(g, LEFT, TOP, plotW, plotH, xTicks, t -> Ticks.format(Math.pow(10, t)),
        yTicks);
    g.setColor(Color.BLACK);
    g.drawString(xLabel + " (log scale)", LEFT + plotW / 2 - fm.stringWidth(xLabel) / 2,
        TOP + plotH + 36);
    g.drawString(yLabel, LEFT, TOP - 8);
    Path2D.Double line = new Path2D.Double();
    for (int i = 0; i < drawn.size(); i++) {
      Point p = drawn.get(i);
      double px = LEFT + (Math.log10(p.perplexity()) - x0) / (x1 - x0) * plotW;
      double py = TOP + plotH - (p.score() - y0) / (y1 - y0) * plotH;
      if (i == 0) {
        line.moveTo(px, py);
      } else {
        line.lineTo(px, py);
      }
      g.setColor(LINE);
      g.fill(new Ellipse2D.Double(px - 4, py - 4, 8, 8));
      g.setColor(Color.BLACK);
      g.drawString(p.label(), (float) px + 7, (float) py - 6);
    }
    g.setColor(LINE);
    g.setStroke(new BasicStroke(1.6f));
    g.draw(line);
    g.setStroke(new BasicStroke(1f));
  }
}
