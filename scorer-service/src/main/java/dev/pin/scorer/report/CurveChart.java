package dev.pin.scorer.report;

import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;

/**
 * Training curves as a PNG, drawn with XChart: one panel per {@link Curve#getPanel() panel},
 * stacked, each with its own y axis (reward, dev score, loss live on different scales), titled
 * with its unit, steps on the x axis at whole numbers and over the same range in every panel, and a
 * legend naming each series. Curves of one panel share its axes. {@link #overlay} draws several runs on shared axes. Non-finite values
 * are skipped (a diverged loss should not blank the panel).
 */
public final class CurveChart {
  /** Image width in pixels. */
  public static final int WIDTH = 900;
  /** Height of one panel in pixels. */
  public static final int PANEL_HEIGHT = 300;
  /** Height of the image's title strip above the panels. */
  public static final int TITLE_HEIGHT = Charts.TITLE_HEIGHT;
  /** The x-axis title of every training panel. */
  public static final String STEP_AXIS = "training step";

  /**
   * One run's curves under the label its series carry in an overlay (e.g. "PIN (run-…-0002)").
   */
  public record LabelledRun(String label, List<Curve> curves) {}

  private CurveChart() {}

  /** PNG bytes of {@code curves} under {@code title}; at least one curve. */
  public static byte[] png(String title, List<Curve> curves) {
    return Charts.stack(title, panels(curves), WIDTH, PANEL_HEIGHT);
  }

  /**
   * The charts {@link #png} stacks: one per distinct panel in first-seen order, each holding the
   * curves of that panel in order.
   */
  static List<XYChart> panels(List<Curve> curves) {
    if (curves.isEmpty()) {
      throw new IllegalArgumentException("no curves to draw");
    }
    Map<String, List<Curve>> byPanel = new LinkedHashMap<>();
    for (Curve c : curves) {
      byPanel.computeIfAbsent(panelOf(c), k -> new ArrayList<>()).add(c);
    }
    List<XYChart> charts = new ArrayList<>();
    for (Map.Entry<String, List<Curve>> panel : byPanel.entrySet()) {
      List<Charts.Series> series = new ArrayList<>();
      for (Curve c : panel.getValue()) {
        series.add(series(c.getName(), c));
      }
      charts.add(Charts.panel(panel.getKey(), STEP_AXIS, yAxisOf(panel.getValue()), series,
          WIDTH, PANEL_HEIGHT, true));
    }
    return Charts.shareX(charts);
  }

  /**
   * Several runs on shared axes: one panel per name in {@code panels} (e.g. "dev score", then
   * "reward"), holding the first curve of that panel of every run that has one, named by the run's
   * label. Panels no run has are left out; none at all is an error.
   */
  public static byte[] overlay(String title, List<LabelledRun> runs, List<String> panels) {
    List<XYChart> charts = overlayPanels(runs, panels);
    if (charts.isEmpty()) {
      throw new IllegalArgumentException("no run has a curve in " + panels);
    }
    return Charts.stack(title, charts, WIDTH, PANEL_HEIGHT);
  }

  static List<XYChart> overlayPanels(List<LabelledRun> runs, List<String> panels) {
    List<XYChart> charts = new ArrayList<>();
    for (String panel : panels) {
      List<Charts.Series> series = new ArrayList<>();
      List<Curve> first = new ArrayList<>();
      for (LabelledRun run : runs) {
        run.curves().stream().filter(c -> panelOf(c).equals(panel)).findFirst().ifPresent(c -> {
          first.add(c);
          series.add(series(run.label() + " · " + c.getName(), c));
        });
      }
      if (!series.isEmpty()) {
        charts.add(Charts.panel(panel, STEP_AXIS, yAxisOf(first), series, WIDTH, PANEL_HEIGHT,
            true));
      }
    }
    return Charts.shareX(charts);
  }

  /** The panel a curve is drawn in: its own name when it names none. */
  static String panelOf(Curve c) {
    return c.getPanel().isBlank() ? c.getName() : c.getPanel();
  }

  private static String yAxisOf(List<Curve> curves) {
    for (Curve c : curves) {
      if (!c.getYAxis().isBlank()) {
        return c.getYAxis();
      }
    }
    return panelOf(curves.get(0));
  }

  private static Charts.Series series(String name, Curve c) {
    List<CurvePoint> finite = c.getPointsList().stream()
        .filter(p -> Double.isFinite(p.getValue())).toList();
    double[] x = new double[finite.size()];
    double[] y = new double[finite.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = finite.get(i).getStep();
      y[i] = finite.get(i).getValue();
    }
    return new Charts.Series(name, x, y);
  }
}
