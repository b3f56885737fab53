package dev.pin.reward.style;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * BLEU as sacrebleu computes it by default (Post, 2018): the mteval-v13a tokenisation, n-grams up
 * to 4 clipped by the maximum count over the references, the closest reference length (shorter on
 * ties) for the brevity penalty, and the "exp" smoothing of mteval (each order with no match
 * contributes {@code 100/(2^k·total)} for its k-th occurrence). Corpus BLEU pools the statistics of
 * all sentences; sentence BLEU additionally uses the effective order (orders with no n-grams in the
 * hypothesis are left out), as sacrebleu recommends. Scores are in [0, 100].
 */
public final class Bleu {

  private static final int MAX_ORDER = 4;

  // mteval-v13a, as in sacrebleu's Tokenizer13a / TokenizerRegexp.
  private static final Pattern PUNCT = Pattern.compile("([\\{-~\\[-` -&(-+:-@/])");
  private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([\\.,])");
  private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([\\.,])([^0-9])");
  private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

  private Bleu() {}

  /**
   * A BLEU score with its statistics.
   *
   * @param score BLEU in [0, 100]
   * @param precisions the n-gram precisions (in %) for n = 1..4 after smoothing
   * @param brevityPenalty the brevity penalty
   * @param hypothesisLength total hypothesis tokens
   * @param referenceLength total closest-reference tokens
   */
  public record Score(
      double score,
      double[] precisions,
      double brevityPenalty,
      int hypothesisLength,
      int referenceLength) {}

  /**
   * The mteval-v13a tokenisation sacrebleu applies by default.
   *
   * @param line one sentence
   * @return its tokens joined by single spaces
   */
  public static String tokenize13a(String line) {
    String s = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ");
    if (s.indexOf('&') >= 0) {
      s = s.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    }
    s = " " + s + " ";
    s = PUNCT.matcher(s).replaceAll(" $1 ");
    s = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(s).replaceAll("$1 $2 ");
    s = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(s).replaceAll(" $1 $2");
    s = DASH_AFTER_DIGIT.matcher(s).replaceAll("$1 $2 ");
    return String.join(" ", s.strip().split("\\s+"));
  }

  /**
   * Corpus BLEU.
   *
   * @param hypotheses one output per sentence
   * @param references the references of each sentence (at least one each)
   * @return the score
   */
  public static Score corpus(List<String> hypotheses, List<List<String>> references) {
    if (hypotheses.size() != references.size()) {
      throw new IllegalArgumentException(
          hypotheses.size() + " hypotheses but " + references.size() + " reference lists");
    }
    long[] stats = new long[2 + 2 * MAX_ORDER];
    for (int i = 0; i < hypotheses.size(); i++) {
      long[] s = sentenceStats(hypotheses.get(i), references.get(i));
      for (int k = 0; k < stats.length; k++) {
        stats[k] += s[k];
      }
    }
    return compute(stats, false);
  }

  /**
   * Sentence BLEU with the effective order.
   *
   * @param hypothesis the output
   * @param references its references (at least one)
   * @return the score
   */
  public static Score sentence(String hypothesis, List<String> references) {
    return compute(sentenceStats(hypothesis, references), true);
  }

  /** [hypLen, refLen, correct_1..4, total_1..4]. */
  private static long[] sentenceStats(String hypothesis, List<String> references) {
    if (references.isEmpty()) {
      throw new IllegalArgumentException("a sentence needs at least one reference");
    }
    Map<List<String>, Integer> refCounts = new HashMap<>();
    List<Integer> refLengths = new ArrayList<>();
    for (String ref : references) {
      List<String> tokens = tokens(ref);
      refLengths.add(tokens.size());
      for (Map.Entry<List<String>, Integer> e : ngrams(tokens).entrySet()) {
        refCounts.merge(e.getKey(), e.getValue(), Math::max);
      }
    }
    List<String> hyp = tokens(hypothesis);
    long[] stats = new long[2 + 2 * MAX_ORDER];
    stats[0] = hyp.size();
    stats[1] = closestRefLength(hyp.size(), refLengths);
    for (Map.Entry<List<String>, Integer> e : ngrams(hyp).entrySet()) {
      int n = e.getKey().size() - 1;
      stats[2 + MAX_ORDER + n] += e.getValue();
      Integer inRef = refCounts.get(e.getKey());
      if (inRef != null) {
        stats[2 + n] += Math.min(e.getValue(), inRef);
      }
    }
    return stats;
  }

  private static List<String> tokens(String text) {
    String t = tokenize13a(text.stripTrailing());
    return t.isEmpty() ? List.of() : List.of(t.split(" "));
  }

  private static Map<List<String>, Integer> ngrams(List<String> tokens) {
    Map<List<String>, Integer> counts = new HashMap<>();
    for (int n = 1; n <= MAX_ORDER; n++) {
      for (int i = 0; i + n <= tokens.size(); i++) {
        counts.merge(tokens.subList(i, i + n), 1, Integer::sum);
      }
    }
    return counts;
  }

  private static int closestRefLength(int hypLength, List<Integer> refLengths) {
    int closestDiff = -1;
    int closest = -1;
    for (int len : refLengths) {
      int diff = Math.abs(hypLength - len);
      if (closestDiff == -1 || diff < closestDiff) {
        closestDiff = diff;
        closest = len;
      } else if (diff == closestDiff && len < closest) {
        closest = len;
      }
    }
    return closest;
  }

  private static Score compute(long[] stats, boolean effectiveOrder) {
    long sysLen = stats[0];
    long refLen = stats[1];
    double bp;
    if (sysLen < refLen) {
      bp = sysLen > 0 ? Math.exp(1 - (double) refLen / sysLen) : 0.0;
    } else {
      bp = 1.0;
    }
    double[] precisions = new double[MAX_ORDER];
    boolean anyCorrect = false;
    for (int n = 0; n < MAX_ORDER; n++) {
      anyCorrect |= stats[2 + n] > 0;
    }
    if (!anyCorrect) {
      return new Score(0.0, precisions, bp, (int) sysLen, (int) refLen);
    }
    double smooth = 1.0;
    int effOrder = MAX_ORDER;
    for (int n = 1; n <= MAX_ORDER; n++) {
      long correct = stats[1 + n];
      long total = stats[1 + MAX_ORDER + n];
      if (total == 0) {
        break;
      }
      if (effectiveOrder) {
        effOrder = n;
      }
      if (correct == 0) {
        smooth *= 2;
        precisions[n - 1] = 100.0 / (smooth * total);
      } else {
        precisions[n - 1] = 100.0 * correct / total;
      }
    }
    double logSum = 0;
    for (int n = 0; n < effOrder; n++) {
      // sacrebleu's my_log: log(0) is a huge negative number, so a missing order zeroes BLEU.
      logSum += precisions[n] == 0 ? -9999999999.0 : Math.log(precisions[n]);
    }
    return new Score(bp * Math.exp(logSum / effOrder), precisions, bp, (int) sysLen, (int) refLen);
  }
}
