package dev.pin.reward.style;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.backend.TextGenerator;
import dev.pin.reward.backend.TokenEmbedder;
import dev.pin.reward.task.TaskCanonicalizer;
import dev.pin.reward.testing.TinyModels;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The style-transfer pipeline over small deterministic models: the generator alternates a positive
 * and a negative rewrite, the style classifier looks for "great", and token embeddings are one-hot
 * per word, so BERTScore is the word-overlap precision/recall computed by hand.
 */
class StyleTransferScorerTest {

  private final TinyModels.AlternatingGenerator generator = new TinyModels.AlternatingGenerator();
  private final List<TextGenerator.Request> seen = generator.seen;
  private final SequenceClassifier style = TinyModels.greatDetector();
  private final TokenEmbedder embedder = TinyModels.oneHotWords();

  private StyleTransferTask task() {
    StyleTransferTask t =
        StyleTransferTask.newBuilder()
            .setTargetLabel(1)
            .setGeneration(
                GenerationConfig.newBuilder().setNumSamples(4).setGroupSize(2).setSeed(7))
            .build();
    return TaskCanonicalizer.canonicalize(TaskSpec.newBuilder().setStyleTransfer(t).build(), false)
        .getStyleTransfer();
  }

  private static final StyleExample X =
      StyleExample.newBuilder()
          .setText("the food was bad .")
          .addReferences("the food was great .")
          .build();

  @Test
  void scoresGroupMaximaOfContentPlusStyle() {
    StyleTransferScorer scorer = new StyleTransferScorer(task(), generator, style, embedder, null);
    StyleTransferScorer.PromptResult r = scorer.score("Make it positive:", List.of(X));
    // "the food was great!" vs x: P = 3/4, R = 3/5, F1 = 2/3 -> Content 66.67; Style 90.
    float good = (200f / 3f + 90f) / 2f;
    assertEquals(good, r.reward(), 1e-3f);
    assertEquals("the food was great!", r.examples().get(0).best().output());
    assertEquals(200f / 3f, r.examples().get(0).best().content(), 1e-3f);
    TextGenerator.Request req = seen.get(0);
    assertEquals("Make it positive: \"the food was bad .\" \"", req.input());
    assertEquals(15, req.maxNewTokens()); // n_x = 5 -> max(7, 15)
    assertEquals(10, req.topK());
    assertEquals(4, req.numSamples());
  }

  @Test
  void seedsAreDeterministicPerPromptAndSentence() {
    StyleTransferScorer scorer = new StyleTransferScorer(task(), generator, style, embedder, null);
    scorer.score("a", List.of(X));
    scorer.score("a", List.of(X));
    scorer.score("b", List.of(X));
    assertEquals(seen.get(0).seed(), seen.get(1).seed());
    assertNotEquals(seen.get(0).seed(), seen.get(2).seed());
  }

  @Test
  void evaluationPicksTheBestSampleAndComputesMetrics() {
    StyleTransferScorer scorer =
        new StyleTransferScorer(
            task(),
            generator,
            style,
            embedder,
            texts -> texts.stream().map(t -> new float[] {0.3f, 0.7f}).toArray(float[][]::new));
    StyleTransferScorer.Evaluation e = scorer.evaluate("p", List.of(X));
    assertEquals(List.of("the food was great!"), e.outputs());
    assertEquals(200f / 3f, e.metrics().content(), 1e-3f);
    assertEquals(100f, e.metrics().style(), 0f);
    assertEquals(100f, e.metrics().fluency(), 0f);
    assertEquals(200f / 3f, e.metrics().j(), 1e-3f);
    // BLEU of "the food was great !" vs "the food was great .": (4/5·3/4·2/3·1/2)^(1/4).
    assertEquals(100 * Math.pow(0.2, 0.25), e.bleu(), 1e-6);
    assertTrue(e.metrics().gm() > 0);
  }

  @Test
  void appliesTheEncodersBertScoreBaseline() {
    TokenEmbedder rescaled =
        new TokenEmbedder() {
          @Override
          public String name() {
            return "one-hot-rescaled";
          }

          @Override
          public List<Embeddings> embed(List<String> texts, int layer) {
            return embedder.embed(texts, layer);
          }

          @Override
          public java.util.Optional<float[]> bertScoreBaseline(int layer) {
            return java.util.Optional.of(new float[] {0.5f, 0.5f, 0.5f});
          }
        };
    StyleTransferScorer scorer = new StyleTransferScorer(task(), generator, style, rescaled, null);
    StyleTransferScorer.PromptResult r = scorer.score("p", List.of(X));
    // F1 2/3 rescaled: (2/3 - 1/2)/(1/2) = 1/3 -> Content 33.33; reward (33.33 + 90)/2.
    assertEquals(100f / 3f, r.examples().get(0).best().content(), 1e-3f);
    assertEquals((100f / 3f + 90f) / 2f, r.reward(), 1e-3f);
  }
}
