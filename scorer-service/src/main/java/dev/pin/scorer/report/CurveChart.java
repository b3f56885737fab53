package dev.pin.scorer.report;

import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
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
 * Draws training curves as a PNG with plain Java2D (no chart dependency): one panel per curve,
 * stacked, each with its own y axis, because a run's series (reward, loss, accuracy) live on very
 * different scales. Non-finite values are skipped (a diverged loss should not blank the panel).
 */
public final class CurveChart {
  static {
    // Reports are rendered on servers with no display.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** Image width in pixels. */
  public static final int WIDTH = 900;
  /** Height of one curve's panel in pixels. */
  public static final int PANEL_HEIGHT = 240;

  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 34;
  private static final int BOTTOM = 44;
  private static final Color[] PALETTE = {
      new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
      new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

  private CurveChart() {}

  /** PNG bytes of {@code curves} under {@code title}; at least one curve. */
  public static byte[] png(String title, List<Curve> curves) {
    if (curves.isEmpty()) {
      throw new IllegalArgumentException("no curves to draw");
    }
    int height = 28 + PANEL_HEIGHT * curves.size();
    BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      Charts.canvas(g, WIDTH, height, title, LEFT, 20);
      for (int i = 0; i < curves.size(); i++) {
        panel(g, curves.get(i), 28 + i * PANEL_HEIGHT, PALETTE[i % PALETTE.length]);
      }
    } finally {
      g.dispose();
    }
    return Charts.png(image);
  }

  private static void panel(Graphics2D g, Curve curve, int y0, Color color) {
    List<CurvePoint> points = new ArrayList<>();
    for (CurvePoint p : curve.getPointsList()) {
      if (Double.isFinite(p.getValue())) {
        points.add(p);
      }
    }
    int plotX = LEFT;
    int plotY = y0 + TOP;
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = PANEL_HEIGHT - TOP - BOTTOM;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.setColor(Color.BLACK);
    g.drawString(curve.getName() + "  (" + points.size() + " points)", plotX, y0 + 20);
    Charts.plotArea(g, plotX, plotY, plotW, plotH);
    if (points.isEmpty()) {
      g.drawString("no finite values", plotX + plotW / 2 - 40, plotY + plotH / 2);
      return;
    }
    double minX = Double.POSITIVE_INFINITY;
    double maxX = Double.NEGATIVE_INFINITY;
    double minY = Double.POSITIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    for (CurvePoint p : points) {
      minX = Math.min(minX, p.getStep());
      maxX = Math.max(maxX, p.getStep());
      minY = Math.min(minY, p.getValue());
      maxY = Math.max(maxY, p.getValue());
    }
    double[] xTicks = Ticks.nice(minX, maxX, 6);
    double[] yTicks = Ticks.nice(minY, maxY, 5);
    double x0 = xTicks[0];
    double x1 = xTicks[xTicks.length - 1];
    double ylo = yTicks[0];
    double yhi = yTicks[yTicks.length - 1];
    Charts.grid(g, plotX, plotY, plotW, plotH, xTicks, t -> Ticks.label(t, xTicks), yTicks);
    FontMetrics fm = g.getFontMetrics();
    g.drawString("step", plotX + plotW / 2 - fm.stringWidth("step") / 2, plotY + plotH + 32);
    Path2D.Double line = new Path2D.Double();
    for (int i = 0; i < points.size(); i++) {
      double px = plotX + (points.get(i).getStep() - x0) / (x1 - x0) * plotW;
      double py = plotY + plotH - (points.get(i).getValue() - ylo) / (yhi - ylo) * plotH;
      if (i == 0) {
        line.moveTo(px, py);
      } else {
        line.lineTo(px, py);
      }
      if (points.size() <= 50) {
        g.setColor(color);
        g.fill(new Ellipse2D.Double(px - 2.5, py - 2.5, 5, 5));
      }
    }
    g.setColor(color);
    g.setStroke(new BasicStroke(1.8f));
    g.draw(line);
    g.setStroke(new BasicStroke(1f));
  }
}
