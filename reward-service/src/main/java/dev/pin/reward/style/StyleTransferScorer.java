package dev.pin.reward.style;

import dev.pin.models.template.PromptTemplate;
import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.backend.TextGenerator;
import dev.pin.reward.backend.TokenEmbedder;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Scores prompts on a style-transfer task (§6.2): for each source sentence x, render {@code
 * {prompt} "x" "}, sample N continuations with top-k (at most {@code max(1.5·n_x, n_x+10)} new
 * tokens), cut and lowercase them, score each sample {@code (Content + Style)/2} and take the mean
 * of group maxima. Synchronous and thread-safe; run it on a bounded executor.
 *
 * <p>Sampling seeds are derived from the task's seed, the prompt and the source sentence, so a
 * (prompt, x) pair always gets the same samples: rewards are then deterministic and cacheable, and
 * two prompts are compared on their own samples rather than on sampling luck shared between them.
 * With GenerationConfig.seed = 0 a fixed base seed is used.
 */
public final class StyleTransferScorer {

  /**
   * One scored sample.
   *
   * @param output the cut, lowercased output
   * @param content {@code 100·max(0, BERTScore-F1(output, x))}
   * @param style {@code 100·P(target | output)}
   * @param reward {@code (content + style)/2}
   */
  public record Sample(String output, float content, float style, float reward) {}

  /**
   * One source sentence's reward.
   *
   * @param reward mean of group maxima of the sample rewards
   * @param best the best sample
   */
  public record ExampleResult(float reward, Sample best) {}

  /**
   * One prompt's reward.
   *
   * @param reward mean over the source sentences
   * @param examples per source sentence, in order (for z-scoring per input, §5)
   */
  public record PromptResult(float reward, List<ExampleResult> examples) {}

  /**
   * Evaluation of one prompt: one output per sentence (the best-reward sample, as RLPrompt's
   * evaluation selects it) and the corpus metrics.
   *
   * @param metrics Content, Style, Fluency, J, GM
   * @param bleu corpus BLEU against the references of the sentences that have them (NaN if none)
   * @param outputs the selected output per sentence
   */
  public record Evaluation(StyleMetrics.Corpus metrics, double bleu, List<String> outputs) {}

  private static final long DEFAULT_SEED = 0x5eed_0f_b1e55edL;

  private final PromptTemplate template;
  private final GenerationConfig generation;
  private final int targetLabel;
  private final int contentLayer;
  private final TextGenerator generator;
  private final SequenceClassifier styleClassifier;
  private final TokenEmbedder contentModel;
  private final SequenceClassifier fluencyClassifier;

  /**
   * Creates a scorer.
   *
   * @param task the canonical task (template and generation defaults filled in)
   * @param generator the task LM
   * @param styleClassifier gives P(style | y)
   * @param contentModel token embeddings for BERTScore
   * @param fluencyClassifier label 1 = acceptable; null when the task has none
   */
  public StyleTransferScorer(
      StyleTransferTask task,
      TextGenerator generator,
      SequenceClassifier styleClassifier,
      TokenEmbedder contentModel,
      SequenceClassifier fluencyClassifier) {
    this.template = PromptTemplate.parse(task.getTemplate());
    this.generation = task.getGeneration();
    this.targetLabel = task.getTargetLabel();
    this.contentLayer = task.getContentLayer();
    this.generator = Objects.requireNonNull(generator);
    this.styleClassifier = Objects.requireNonNull(styleClassifier);
    this.contentModel = Objects.requireNonNull(contentModel);
    this.fluencyClassifier = fluencyClassifier;
  }

  /**
   * The training reward of one prompt.
   *
   * @param prompt the prompt text
   * @param examples source sentences
   * @return the reward per sentence and their mean
   */
  public PromptResult score(String prompt, List<StyleExample> examples) {
    List<List<Sample>> samples = sampleAndScore(prompt, examples, generation.getNumSamples());
    List<ExampleResult> results = new ArrayList<>(examples.size());
    double sum = 0;
    for (List<Sample> s : samples) {
      float[] rewards = new float[s.size()];
      for (int i = 0; i < rewards.length; i++) {
        rewards[i] = s.get(i).reward();
      }
      float r = StyleReward.groupMaxAverage(rewards, Math.max(1, generation.getGroupSize()));
      results.add(new ExampleResult(r, s.get(StyleReward.best(rewards))));
      sum += r;
    }
    return new PromptResult((float) (sum / examples.size()), List.copyOf(results));
  }

  /**
   * Task metrics of one prompt on a split.
   *
   * @param prompt the prompt text
   * @param examples source sentences (references used for BLEU where present)
   * @return the metrics
   */
  public Evaluation evaluate(String prompt, List<StyleExample> examples) {
    List<List<Sample>> samples = sampleAndScore(prompt, examples, generation.getNumSamples());
    List<String> outputs = new ArrayList<>(examples.size());
    List<Float> contents = new ArrayList<>(examples.size());
    for (List<Sample> s : samples) {
      float[] rewards = new float[s.size()];
      for (int i = 0; i < rewards.length; i++) {
        rewards[i] = s.get(i).reward();
      }
      Sample best = s.get(StyleReward.best(rewards));
      outputs.add(best.output());
      contents.add(best.content());
    }
    float[][] styleProbs = styleClassifier.probabilities(outputs);
    float[][] fluencyProbs =
        fluencyClassifier == null ? null : fluencyClassifier.probabilities(outputs);
    List<StyleMetrics.Sentence> sentences = new ArrayList<>(outputs.size());
    List<String> bleuHyps = new ArrayList<>();
    List<List<String>> bleuRefs = new ArrayList<>();
    for (int i = 0; i < outputs.size(); i++) {
      boolean styleCorrect = argmax(styleProbs[i]) == targetLabel;
      boolean fluent = fluencyProbs == null || argmax(fluencyProbs[i]) == 1;
      sentences.add(new StyleMetrics.Sentence(contents.get(i), styleCorrect, fluent));
      if (examples.get(i).getReferencesCount() > 0) {
        bleuHyps.add(outputs.get(i));
        bleuRefs.add(examples.get(i).getReferencesList());
      }
    }
    double bleu = bleuHyps.isEmpty() ? Double.NaN : Bleu.corpus(bleuHyps, bleuRefs).score();
    return new Evaluation(
        StyleMetrics.compute(sentences, fluencyProbs != null), bleu, List.copyOf(outputs));
  }

  /**
   * The task LM's outputs for (prompt, input) pairs (the Generate RPC), after the cut rules.
   *
   * @param prompt the prompt text
   * @param inputs sentences to rewrite
   * @param overrides generation settings; fields set (non-zero) replace the task's
   * @return per input, the cut, lowercased outputs
   */
  public List<List<String>> generate(
      String prompt, List<String> inputs, GenerationConfig overrides) {
    GenerationConfig.Builder g = generation.toBuilder();
    if (overrides.getTopK() != 0) {
      g.setTopK(overrides.getTopK());
    }
    if (overrides.getTemperature() != 0f) {
      g.setTemperature(overrides.getTemperature());
    }
    if (overrides.getNumSamples() != 0) {
      g.setNumSamples(overrides.getNumSamples());
    }
    if (overrides.getMaxNewTokens() != 0) {
      g.setMaxNewTokens(overrides.getMaxNewTokens());
    }
    if (overrides.getSeed() != 0) {
      g.setSeed(overrides.getSeed());
    }
    List<List<String>> raw = sample(prompt, inputs, g.build());
    List<List<String>> out = new ArrayList<>(raw.size());
    for (List<String> r : raw) {
      out.add(r.stream().map(StyleOutputs::cut).toList());
    }
    return out;
  }

  /** Raw continuations per input under settings {@code g}. */
  private List<List<String>> sample(String prompt, List<String> inputs, GenerationConfig g) {
    List<TextGenerator.Request> requests = new ArrayList<>(inputs.size());
    for (String x : inputs) {
      int nx = generator.tokenizer().encode(x).length;
      requests.add(
          new TextGenerator.Request(
              template.render(x, prompt, ""),
              g.getNumSamples(),
              StyleOutputs.maxNewTokens(nx, g.getMaxNewTokens()),
              g.getTopK(),
              g.getTemperature(),
              seed(g.getSeed(), prompt, x)));
    }
    List<List<String>> raw = generator.generate(requests);
    if (raw.size() != inputs.size()) {
      throw new IllegalStateException(
          "generator returned " + raw.size() + " results for " + inputs.size() + " inputs");
    }
    return raw;
  }

  /** Samples N outputs per sentence and scores each; [sentence][sample]. */
  private List<List<Sample>> sampleAndScore(
      String prompt, List<StyleExample> examples, int numSamples) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("no source sentences to score");
    }
    List<String> inputs = new ArrayList<>(examples.size());
    for (StyleExample e : examples) {
      inputs.add(e.getText());
    }
    GenerationConfig g = generation.toBuilder().setNumSamples(numSamples).build();
    List<List<String>> raw = sample(prompt, inputs, g);
    // Flatten: every output, then each distinct source sentence, embedded in one call.
    List<String> outputs = new ArrayList<>();
    for (List<String> r : raw) {
      if (r.isEmpty()) {
        throw new IllegalStateException("generator returned no samples");
      }
      for (String s : r) {
        outputs.add(StyleOutputs.cut(s));
      }
    }
    Map<String, Integer> sourceIndex = new LinkedHashMap<>();
    for (StyleExample e : examples) {
      sourceIndex.putIfAbsent(e.getText(), outputs.size() + sourceIndex.size());
    }
    List<String> toEmbed = new ArrayList<>(outputs);
    toEmbed.addAll(sourceIndex.keySet());
    List<TokenEmbedder.Embeddings> emb = contentModel.embed(toEmbed, contentLayer);
    float[] baseline = contentModel.bertScoreBaseline(contentLayer).orElse(null);
    float[][] styleProbs = styleClassifier.probabilities(outputs);
    List<List<Sample>> result = new ArrayList<>(examples.size());
    int k = 0;
    for (int i = 0; i < examples.size(); i++) {
      TokenEmbedder.Embeddings ref = emb.get(sourceIndex.get(examples.get(i).getText()));
      List<Sample> samples = new ArrayList<>(raw.get(i).size());
      for (int j = 0; j < raw.get(i).size(); j++, k++) {
        TokenEmbedder.Embeddings cand = emb.get(k);
        BertScore.Score bert =
            BertScore.score(cand.vectors(), not(cand.special()), ref.vectors(), not(ref.special()));
        float f1 = baseline == null ? bert.f1() : BertScore.rescale(bert, baseline).f1();
        float content = StyleReward.content(f1);
        if (targetLabel >= styleProbs[k].length) {
          throw new IllegalStateException(
              "target_label "
                  + targetLabel
                  + " but style classifier '"
                  + styleClassifier.name()
                  + "' has "
                  + styleProbs[k].length
                  + " labels");
        }
        float style = StyleReward.style(styleProbs[k][targetLabel]);
        samples.add(
            new Sample(outputs.get(k), content, style, StyleReward.sampleReward(content, style)));
      }
      result.add(samples);
    }
    return result;
  }

  private static long seed(long configured, String prompt, String x) {
    long base = configured != 0 ? configured : DEFAULT_SEED;
    long h = base;
    for (byte b : (prompt + "\u0000" + x).getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L; // FNV-1a over the base seed
    }
    return h;
  }

  private static boolean[] not(boolean[] special) {
    if (special == null) {
      return null;
    }
    boolean[] keep = new boolean[special.length];
    for (int i = 0; i < keep.length; i++) {
      keep[i] = !special[i];
    }
    return keep;
  }

  private static int argmax(float[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }
}
