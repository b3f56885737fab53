package dev.pin.scorer.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What the report's charts share, drawn with XChart: one styled x–y panel (white background, light
 * grid, axis titles, a legend under the plot, integer step ticks), panels stacked under a title
 * into one PNG, and the PNG encoding.
 */
final class Charts {
  static {
    // Reports are rendered on servers with no display.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** Height of the image's title strip in pixels. */
  static final int TITLE_HEIGHT = 36;
  /** Message drawn over a panel whose series have no finite value. */
  static final String NO_DATA = "no finite values";

  /** Tableau 10: distinct and colour-blind friendlier than XChart's default palette. */
  static final Color[] PALETTE = {
      new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
      new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
  private static final int MARKERS_UP_TO = 50;
  /** Steps up to this many keep XChart's tick on every step (or every other one). */
  private static final int TICK_AT_EVERY_STEP_UP_TO = 20;
  /** Name of the hidden series that gives long step axes round ticks (see {@link #panel}). */
  static final String TICK_HELPER = "\u200b";
  /**
   * One marker shape per series and dashed lines after the first, so that series drawn on top of
   * each other (two runs with the same rewards) both stay visible: a diamond leaves the circle
   * under it showing, a dashed line the solid one.
   */
  private static final Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND,
      SeriesMarkers.SQUARE, SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN};
  private static final BasicStroke SOLID = new BasicStroke(2f);
  private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT,
      BasicStroke.JOIN_ROUND, 10f, new float[] {8f, 5f}, 0f);
  /** Legend text longer than this (all names together) goes one entry per line. */
  private static final int HORIZONTAL_LEGEND_CHARS = 90;

  private Charts() {}

  /** A series to draw: its legend name and its finite (x, y) points in x order. */
  record Series(String name, double[] x, double[] y) {}

  /**
   * An x–y panel: {@code yAxis} as the y-axis title, one line per series, markers on short series.
   * With {@code integerX} the x ticks fall on whole numbers (training steps).
   */
  static XYChart panel(String title, String xAxis, String yAxis, List<Series> series, int width,
      int height, boolean integerX) {
    XYChart chart = new XYChartBuilder().width(width).height(height).title(title)
        .xAxisTitle(xAxis).yAxisTitle(yAxis).build();
    XYStyler s = chart.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotBorderColor(Color.GRAY);
    s.setPlotGridLinesColor(new Color(0xdddddd));
    s.setChartTitleBoxVisible(false);
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setLegendPosition(Styler.LegendPosition.OutsideS);
    s.setLegendLayout(Styler.LegendLayout.Horizontal);
    s.setLegendBorderColor(Color.WHITE);
    s.setSeriesColors(PALETTE);
    s.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    s.setYAxisDecimalPattern("#,##0.###");
    if (integerX) {
      // XChart widens the tick step until the pattern chops no decimals: whole steps only.
      s.setXAxisDecimalPattern("#,##0");
    }
    double minX = Double.POSITIVE_INFINITY;
    double maxX = Double.NEGATIVE_INFINITY;
    double minY = Double.POSITIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    java.util.Set<String> names = new java.util.HashSet<>();
    java.util.Set<Double> xValues = new java.util.HashSet<>();
    for (Series one : series) {
      if (one.x().length == 0) {
        continue;
      }
      for (double x : one.x()) {
        xValues.add(x);
      }
      minX = Math.min(minX, one.x()[0]);
      maxX = Math.max(maxX, one.x()[one.x().length - 1]);
      for (double y : one.y()) {
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
      // XChart keys series by name; a repeated name gets a suffix instead of replacing one.
      String name = one.name();
      for (int k = 2; !names.add(name); k++) {
        name = one.name() + " (" + k + ")";
      }
      XYSeries line = chart.addSeries(name, one.x(), one.y());
      line.setLineStyle(names.size() == 1 ? SOLID : DASHED);
      line.setMarker(one.x().length <= MARKERS_UP_TO
          ? MARKERS[(names.size() - 1) % MARKERS.length] : SeriesMarkers.NONE);
    }
    int legendChars = names.stream().mapToInt(n -> n.length() + 6).sum();
    if (legendChars > HORIZONTAL_LEGEND_CHARS) {
      s.setLegendLayout(Styler.LegendLayout.Vertical);
    }
    if (integerX && xValues.size() > TICK_AT_EVERY_STEP_UP_TO) {
      // XChart puts a tick on every other data point when the x values are equally spaced (steps
      // 1, 2, 3…), ignoring the tick spacing hint: 50 labels on a 100-step run. One hidden point
      // between two steps makes the values unequally spaced, and XChart picks round ticks.
      XYSeries helper = chart.addSeries(TICK_HELPER, new double[] {minX + 0.5},
          new double[] {Double.NaN});
      helper.setShowInLegend(false);
      helper.setMarker(SeriesMarkers.NONE);
    }
    if (minX <= maxX) {
      // A single step still gets an axis around it, and the axis ends at the data.
      double pad = minX == maxX ? 1 : 0;
      s.setXAxisMin(minX - pad);
      s.setXAxisMax(maxX + pad);
      if (minY == maxY) {
        // One value (a single evaluation): an axis around it, not a lone tick.
        double yPad = Math.max(Math.abs(minY) * 0.05, 1e-3);
        s.setYAxisMin(minY - yPad);
        s.setYAxisMax(maxY + yPad);
      }
    } else {
      s.setLegendVisible(false);
    }
    return chart;
  }

  /**
   * Gives every panel the union of their x ranges, so that one step is at one place in every
   * panel of an image (a dev score every 5 steps lines up with the reward of that step).
   */
  static List<XYChart> shareX(List<XYChart> panels) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (XYChart c : panels) {
      if (c.getStyler().getXAxisMin() != null) {
        min = Math.min(min, c.getStyler().getXAxisMin());
        max = Math.max(max, c.getStyler().getXAxisMax());
      }
    }
    if (min <= max) {
      for (XYChart c : panels) {
        c.getStyler().setXAxisMin(min);
        c.getStyler().setXAxisMax(max);
      }
    }
    return panels;
  }

  /** The panels stacked top to bottom under {@code title}, as PNG bytes. */
  static byte[] stack(String title, List<XYChart> panels, int width, int panelHeight) {
    return stack(title, panels, width, panelHeight, "");
  }

  /**
   * The panels stacked top to bottom under {@code title}, with {@code footnote} (if not blank) on
   * a line of its own under them, as PNG bytes.
   */
  static byte[] stack(String title, List<XYChart> panels, int width, int panelHeight,
      String footnote) {
    int footer = footnote.isBlank() ? 0 : 24;
    int height = TITLE_HEIGHT + panelHeight * panels.size() + footer;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
          RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      FontMetrics fm = g.getFontMetrics();
      g.drawString(title, Math.max(8, (width - fm.stringWidth(title)) / 2), 24);
      for (int i = 0; i < panels.size(); i++) {
        Graphics2D panel = (Graphics2D) g.create(0, TITLE_HEIGHT + i * panelHeight, width,
            panelHeight);
        try {
          XYChart chart = panels.get(i);
          chart.paint(panel, width, panelHeight);
          if (chart.getSeriesMap().isEmpty()) {
            panel.setColor(Color.DARK_GRAY);
            panel.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            panel.drawString(NO_DATA, (width - panel.getFontMetrics().stringWidth(NO_DATA)) / 2,
                panelHeight / 2);
          }
        } finally {
          panel.dispose();
        }
      }
      if (footer > 0) {
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(footnote, 12, height - 8);
      }
    } finally {
      g.dispose();
    }
    return png(image);
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
