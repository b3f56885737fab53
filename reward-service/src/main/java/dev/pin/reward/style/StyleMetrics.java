package dev.pin.reward.style;

import java.util.List;

/**
 * Evaluation metrics of style transfer (§6.2), over one output per test sentence.
 *
 * <p>Content = mean of {@code 100·max(0, BERTScore-F1)}; Style = % of outputs classified as the
 * target style; Fluency = % judged acceptable; {@code J} = mean over sentences of {@code
 * Content_i·[style correct_i]·[fluent_i]}; {@code GM} = geometric mean of corpus Content, Style and
 * Fluency. When no fluency classifier is configured, every output counts as fluent in J and GM is
 * the geometric mean of Content and Style only (reported with {@code fluency = NaN}).
 */
public final class StyleMetrics {
  private StyleMetrics() {}

  /**
   * One output's judgements.
   *
   * @param content {@code 100·max(0, F1)} in [0, 100]
   * @param styleCorrect classified as the target style
   * @param fluent judged acceptable (true when there is no fluency classifier)
   */
  public record Sentence(float content, boolean styleCorrect, boolean fluent) {}

  /**
   * Corpus-level metrics, each in [0, 100].
   *
   * @param content mean Content
   * @param style % target style
   * @param fluency % fluent, NaN without a fluency classifier
   * @param j the joint score J
   * @param gm the geometric mean GM
   */
  public record Corpus(float content, float style, float fluency, float j, float gm) {}

  /**
   * Aggregates sentence judgements.
   *
   * @param sentences one per test sentence
   * @param withFluency whether a fluency classifier produced the {@code fluent} flags
   * @return the corpus metrics
   */
  public static Corpus compute(List<Sentence> sentences, boolean withFluency) {
    if (sentences.isEmpty()) {
      throw new IllegalArgumentException("no sentences to evaluate");
    }
    double content = 0;
    double style = 0;
    double fluency = 0;
    double j = 0;
    for (Sentence s : sentences) {
      boolean fluent = !withFluency || s.fluent();
      content += s.content();
      style += s.styleCorrect() ? 100 : 0;
      fluency += fluent ? 100 : 0;
      j += s.styleCorrect() && fluent ? s.content() : 0;
    }
    int n = sentences.size();
    content /= n;
    style /= n;
    fluency /= n;
    j /= n;
    double gm = withFluency ? Math.cbrt(content * style * fluency) : Math.sqrt(content * style);
    return new Corpus(
        (float) content,
        (float) style,
        withFluency ? (float) fluency : Float.NaN,
        (float) j,
        (float) gm);
  }
}
