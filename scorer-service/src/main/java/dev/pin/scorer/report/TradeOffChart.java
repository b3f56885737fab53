package dev.pin.scorer.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.Annotation;

/**
 * The readability trade-off of a sweep (ALGORITHMS.md §7.2), drawn with XChart: task score
 * against the prompt's perplexity, one series per method (RLPrompt and PIN swept over λ of
 * {@code R − λ·g(PPL)}, PEZ over w of its fluency mix), each point labelled with its λ or w and
 * the points of a series joined in sweep order. Perplexities of prompts span orders of magnitude,
 * so the x axis is logarithmic over whole decades. Labels are placed beside their points where
 * they cover neither another label nor a marker, in their series' colour. Points with a
 * non-finite coordinate are listed under the plot instead of drawn.
 */
public final class TradeOffChart {
  /**
   * One run of the sweep.
   *
   * @param label e.g. {@code λ=0.1} or {@code w=0.5}
   * @param perplexity the learned prompt's (pseudo-)perplexity, > 0
   * @param score its task score
   */
  public record Point(String label, double perplexity, double score) {
    boolean drawable() {
      return Double.isFinite(perplexity) && perplexity > 0 && Double.isFinite(score);
    }
  }

  /**
   * One method's sweep.
   *
   * @param key a short name for the footnote, e.g. {@code PEZ}
   * @param legend its legend entry, e.g. {@code PEZ: w·NLL + (1−w)·L_task}
   * @param points in sweep order
   */
  public record Series(String key, String legend, List<Point> points) {}

  /**
   * A label as it was drawn: its text, the index of its series (and so its colour) and its box
   * in the panel's pixels.
   */
  public record PlacedLabel(String text, int series, Rectangle2D box) {}

  /** The chart and its point labels, whose placement is known once the chart is painted. */
  record Plot(XYChart chart, PointLabels labels) {}

  public static final int WIDTH = 900;
  /** Height of the plot; a footnote listing undrawn points adds a line under it. */
  public static final int HEIGHT = 600;

  private TradeOffChart() {}

  /** PNG bytes of the sweep's series under {@code title}. */
  public static byte[] png(String title, String xLabel, String yLabel, List<Series> series) {
    List<String> skipped = new ArrayList<>();
    for (Series s : series) {
      for (Point p : s.points()) {
        if (!p.drawable()) {
          skipped.add(s.key() + " " + p.label());
        }
      }
    }
    return Charts.stack(title, List.of(plot(xLabel, yLabel, series).chart()), WIDTH, HEIGHT,
        skipped.isEmpty() ? "" : "not drawn (no prompt, or no finite perplexity or score): "
            + String.join(", ", skipped));
  }

  /** The panel: one line with markers per series that has a drawable point, labels on top. */
  static Plot plot(String xLabel, String yLabel, List<Series> series) {
    List<Charts.Series> lines = new ArrayList<>();
    List<PointLabels.Label> labels = new ArrayList<>();
    double minX = Double.POSITIVE_INFINITY;
    double maxX = Double.NEGATIVE_INFINITY;
    double minY = Double.POSITIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      List<Point> drawn = s.points().stream().filter(Point::drawable).toList();
      if (drawn.isEmpty()) {
        continue;
      }
      int index = lines.size();
      lines.add(new Charts.Series(s.legend(),
          drawn.stream().mapToDouble(Point::perplexity).toArray(),
          drawn.stream().mapToDouble(Point::score).toArray()));
      // Runs that found the same prompt sit on one point: one label naming all of them.
      Map<List<Double>, List<String>> byPoint = new LinkedHashMap<>();
      for (Point p : drawn) {
        byPoint.computeIfAbsent(List.of(p.perplexity(), p.score()), k -> new ArrayList<>())
            .add(p.label());
        minX = Math.min(minX, p.perplexity());
        maxX = Math.max(maxX, p.perplexity());
        minY = Math.min(minY, p.score());
        maxY = Math.max(maxY, p.score());
      }
      byPoint.forEach((xy, names) -> labels.add(new PointLabels.Label(String.join(", ", names),
          index, xy.get(0), xy.get(1))));
    }
    XYChart chart = Charts.panel("task score vs prompt perplexity, one point per λ or w",
        xLabel + " (log scale)", yLabel, lines, WIDTH, HEIGHT, false);
    PointLabels annotation = new PointLabels(labels);
    if (!lines.isEmpty()) {
      chart.getStyler().setXAxisLogarithmic(true);
      // Decades only on a log axis: the data's own range, widened to whole powers of ten.
      double low = Math.pow(10, Math.floor(Math.log10(minX)));
      double high = Math.pow(10, Math.ceil(Math.log10(maxX) + 1e-9));
      chart.getStyler().setXAxisMin(low);
      chart.getStyler().setXAxisMax(high > low ? high : low * 10);
      chart.getStyler().setXAxisDecimalPattern("#,##0.#");
      // Room above and below the points for their labels.
      double pad = maxY > minY ? (maxY - minY) * 0.15 : Math.max(Math.abs(minY) * 0.05, 1);
      chart.getStyler().setYAxisMin(minY - pad);
      chart.getStyler().setYAxisMax(maxY + pad);
      chart.getStyler().setMarkerSize(9);
      chart.addAnnotation(annotation);
    }
    return new Plot(chart, annotation);
  }

  /**
   * Every point's label, placed when the chart is painted: above its point if that spot is free,
   * else below, right, left, diagonally, or a row further out, the first spot inside the plot
   * that covers neither an earlier label nor any point's marker. Each label sits on a
   * translucent white box so the grid and the lines do not cross its text.
   */
  static final class PointLabels extends Annotation {
    /** A label before placement, at a data point. */
    record Label(String text, int series, double x, double y) {}

    private static final Font FONT = new Font(Font.SANS_SERIF, Font.BOLD, 12);
    /** Half the side of the square kept free around every marker, in pixels. */
    private static final int MARKER_HALF = 7;

    private final List<Label> labels;
    private final List<PlacedLabel> placed = new ArrayList<>();

    PointLabels(List<Label> labels) {
      super(false);
      this.labels = List.copyOf(labels);
    }

    /** The labels before placement. */
    List<Label> labels() {
      return labels;
    }

    /** Where the last paint put each label, in the order of {@link #labels()}. */
    List<PlacedLabel> placed() {
      return List.copyOf(placed);
    }

    @Override
    public void paint(Graphics2D g) {
      placed.clear();
      if (!isVisible || labels.isEmpty()) {
        return;
      }
      Object antialias = g.getRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
          RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(FONT);
      FontMetrics fm = g.getFontMetrics();
      double left = Math.min(getXAxisScreenValueForMin(), getXAxisScreenValueForMax());
      double right = Math.max(getXAxisScreenValueForMin(), getXAxisScreenValueForMax());
      double top = Math.min(getYAxisScreenValueForMin(), getYAxisScreenValueForMax());
      double bottom = Math.max(getYAxisScreenValueForMin(), getYAxisScreenValueForMax());
      Rectangle2D area = new Rectangle2D.Double(left, top, right - left, bottom - top);
      List<Rectangle2D> taken = new ArrayList<>();
      for (Label l : labels) {
        taken.add(new Rectangle2D.Double(getXAxisScreenValue(l.x()) - MARKER_HALF,
            getYAxisScreenValue(l.y()) - MARKER_HALF, 2 * MARKER_HALF, 2 * MARKER_HALF));
      }
      Rectangle2D union = null;
      for (Label l : labels) {
        double px = getXAxisScreenValue(l.x());
        double py = getYAxisScreenValue(l.y());
        double w = fm.stringWidth(l.text()) + 4;
        double h = fm.getAscent() + fm.getDescent();
        Rectangle2D box = place(px, py, w, h, area, taken);
        taken.add(box);
        placed.add(new PlacedLabel(l.text(), l.series(), box));
        g.setColor(new Color(255, 255, 255, 210));
        g.fill(box);
        g.setColor(Charts.PALETTE[l.series() % Charts.PALETTE.length].darker());
        g.drawString(l.text(), (float) (box.getX() + 2), (float) (box.getY() + fm.getAscent()));
        union = union == null ? (Rectangle2D) box.clone() : union.createUnion(box);
      }
      bounds = union;
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, antialias);
    }

    /** The first free spot for a w × h label of the point at (px, py), else the one above it. */
    private static Rectangle2D place(double px, double py, double w, double h, Rectangle2D area,
        List<Rectangle2D> taken) {
      double d = MARKER_HALF + 2;
      double[][] spots = {
          {px - w / 2, py - d - h}, {px - w / 2, py + d},
          {px + d, py - h / 2}, {px - d - w, py - h / 2},
          {px + 2, py - d - h}, {px - w - 2, py - d - h},
          {px + 2, py + d}, {px - w - 2, py + d},
          {px - w / 2, py - d - 2 * h}, {px - w / 2, py + d + h},
          {px + d, py - d - 2 * h}, {px - d - w, py + d + h}};
      for (double[] s : spots) {
        Rectangle2D box = new Rectangle2D.Double(s[0], s[1], w, h);
        if (area.contains(box) && taken.stream().noneMatch(box::intersects)) {
          return box;
        }
      }
      // Nowhere free: above the point, moved inside the plot.
      double x = Math.max(area.getMinX(), Math.min(px - w / 2, area.getMaxX() - w));
      double y = Math.max(area.getMinY(), Math.min(py - MARKER_HALF - 2 - h,
          area.getMaxY() - h));
      return new Rectangle2D.Double(x, y, w, h);
    }
  }
}
