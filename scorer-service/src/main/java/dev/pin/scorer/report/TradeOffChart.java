package dev.pin.scorer.report;

import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.XYChart;

/**
 * The trade-off curve of a perplexity-regularisation sweep (ALGORITHMS.md §7.2), drawn with
 * XChart: one labelled point per λ at (perplexity of the learned prompt, its task score), joined
 * in sweep order. Perplexities of prompts span orders of magnitude, so the x axis is logarithmic.
 * Points with a non-finite coordinate are listed under the plot instead of drawn.
 */
public final class TradeOffChart {
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
  /** Height of the plot; a footnote listing undrawn points adds a line under it. */
  public static final int HEIGHT = 560;

  private TradeOffChart() {}

  /** PNG bytes of the sweep's points under {@code title}. */
  public static byte[] png(String title, String xLabel, String yLabel, List<Point> points) {
    List<Point> drawn = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Point p : points) {
      if (p.drawable()) {
        drawn.add(p);
      } else {
        skipped.add(p.label());
      }
    }
    return Charts.stack(title, List.of(chart(xLabel, yLabel, drawn)), WIDTH, HEIGHT,
        skipped.isEmpty() ? "" : "not drawn (no finite perplexity or score): "
            + String.join(", ", skipped));
  }

  static XYChart chart(String xLabel, String yLabel, List<Point> drawn) {
    double[] x = drawn.stream().mapToDouble(Point::perplexity).toArray();
    double[] y = drawn.stream().mapToDouble(Point::score).toArray();
    XYChart chart = Charts.panel("task score vs perplexity, one point per λ",
        xLabel + " (log scale)", yLabel,
        x.length == 0 ? List.of() : List.of(new Charts.Series("best prompt of each run", x, y)),
        WIDTH, HEIGHT, false);
    if (x.length > 0) {
      chart.getStyler().setXAxisLogarithmic(true);
      // Decades only on a log axis: the data's own range, widened to whole powers of ten.
      chart.getStyler().setXAxisMin(Math.pow(10, Math.floor(Math.log10(min(x)))));
      chart.getStyler().setXAxisMax(Math.pow(10, Math.ceil(Math.log10(max(x)) + 1e-9)));
      chart.getStyler().setXAxisDecimalPattern("#,##0.#");
      // Labels above their points, by a twentieth of the score range, so they do not cover them.
      double lift = (max(y) - min(y) == 0 ? Math.max(1, Math.abs(y[0])) : max(y) - min(y)) / 20;
      for (Point p : drawn) {
        chart.addAnnotation(new AnnotationText(p.label(), p.perplexity(), p.score() + lift,
            false));
      }
    }
    return chart;
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElseThrow();
  }

  private static double max(double[] v) {
    return java.util.Arrays.stream(v).max().orElseThrow();
  }
}
