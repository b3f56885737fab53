package dev.pin.reward.classification;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pin.models.template.PromptTemplate;
import dev.pin.reward.batching.BatcherConfig;
import dev.pin.reward.classification.ClassificationReward.Multipliers;
import dev.pin.reward.classification.ClassificationReward.PromptResult;
import dev.pin.reward.testing.CueWordModel;
import dev.pin.reward.testing.VocabTokenizer;
import dev.pin.v1.LabeledText;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ClassificationScorerTest {

  private final VocabTokenizer tokenizer =
      VocabTokenizer.wordPiece(List.of("terrible", "great", "good", "bad", "film", "very"));
  private final int terrible = tokenizer.tokenToId("terrible").getAsInt();
  private final int great = tokenizer.tokenToId("great").getAsInt();
  // "good" in the input or the prompt raises "great", "bad" raises "terrible".
  private final CueWordModel model =
      new CueWordModel(tokenizer, Map.of("good", great, "bad", terrible), true);
  private final List<LabeledText> examples =
      List.of(example("a good film", 1), example("a bad film", 0), example("a film", 1));

  private static LabeledText example(String text, int label) {
    return LabeledText.newBuilder().setText(text).setLabel(label).build();
  }

  @Test
  void scoresAPromptEndToEnd() {
    ClassificationScorer scorer =
        new ClassificationScorer(
            PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED),
            "[MASK]",
            new int[] {terrible, great},
            Multipliers.DEFAULT,
            LogitsSource.direct(model),
            tokenizer);
    PromptResult r = scorer.score("very", examples).join();
    // Example 1: logits (0,1): p1 = e/(1+e); gap = (e-1)/(e+1) correct.
    double g = (Math.E - 1) / (Math.E + 1);
    assertEquals((float) g, r.examples().get(0).gap(), 1e-6f);
    assertEquals((float) g, r.examples().get(1).gap(), 1e-6f);
    // Example 3: tie -> wrong, reward 0.
    assertEquals(0f, r.examples().get(2).reward(), 0f);
    assertEquals((float) ((200 * g + 200 * g + 0) / 3), r.reward(), 1e-4f);
    assertEquals(2f / 3f, r.accuracy(), 1e-6f);
    // A prompt that says "good" moves every example towards "great".
    PromptResult good = scorer.score("good", examples).join();
    assertEquals(1, good.examples().get(2).predicted());
    assertEquals(0f, good.examples().get(1).gap(), 1e-6f);
  }

  @Test
  void batchedSourceGivesTheSameRewardsAndMergesCallers() {
    ClassificationScorer direct =
        new ClassificationScorer(
            PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED),
            "[MASK]",
            new int[] {terrible, great},
            Multipliers.DEFAULT,
            LogitsSource.direct(model),
            tokenizer);
    CueWordModel counted =
        new CueWordModel(tokenizer, Map.of("good", great, "bad", terrible), true);
    BatcherConfig config =
        BatcherConfig.defaults("test").withMaxBatchSize(12).withMaxWait(Duration.ofSeconds(5));
    try (BatchedLogits batched = new BatchedLogits(counted, config, new SimpleMeterRegistry())) {
      ClassificationScorer scorer =
          new ClassificationScorer(
              PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED),
              "[MASK]",
              new int[] {terrible, great},
              Multipliers.DEFAULT,
              batched,
              tokenizer);
      List<String> prompts = List.of("very", "good", "bad", "good very");
      List<CompletableFuture<PromptResult>> futures = new ArrayList<>();
      for (String p : prompts) {
        futures.add(scorer.score(p, examples));
      }
      for (int i = 0; i < prompts.size(); i++) {
        PromptResult expected = direct.score(prompts.get(i), examples).join();
        PromptResult got = futures.get(i).join();
        assertEquals(expected.reward(), got.reward(), 1e-6f);
        assertEquals(expected.accuracy(), got.accuracy(), 0f);
      }
      // 4 prompts x 3 examples fill one batch of 12 (one bucket): a single model call.
      assertEquals(1, counted.calls.get());
    }
  }

  @Test
  void batchFunctionServesDifferentVerbalizerSetsInOneCall() throws Exception {
    var fn = BatchedLogits.batchFunction(model);
    List<float[]> out =
        fn.apply(
            List.of(
                new BatchedLogits.Query("good [MASK]", null, new int[] {terrible, great}, 4),
                new BatchedLogits.Query("good [MASK]", null, new int[] {great}, 4)));
    assertEquals(2, out.get(0).length);
    assertEquals(1f, out.get(0)[1], 0f);
    assertEquals(1, out.get(1).length);
    assertEquals(1f, out.get(1)[0], 0f);
  }

  @Test
  void splicedIdsOfARoundTrippingPromptAreTheEncodedText() {
    // WordPiece ignores the space before the prompt; byte-level BPE spells it on the prompt's
    // first token ("Ġvery"), so those ids are the text's with its leading space.
    VocabTokenizer bpe = VocabTokenizer.bpe(List.of("Ġa", "Ġgood", "Ġfilm", "Ġvery", "Ġ."));
    for (VocabTokenizer tok : List.of(tokenizer, bpe)) {
      String mask = tok.maskToken().orElseThrow();
      ClassificationScorer scorer =
          new ClassificationScorer(
              PromptTemplate.parse(PromptTemplate.DEFAULT_MASKED),
              mask,
              new int[] {1, 2},
              Multipliers.DEFAULT,
              LogitsSource.direct(model),
              tok);
      int[] promptIds = tok.encode(" very good");
      List<int[]> spliced = scorer.spliceTokenIds(promptIds, examples);
      List<String> rendered = scorer.render("very good", examples);
      for (int i = 0; i < examples.size(); i++) {
        assertArrayEquals(tok.encode(rendered.get(i)), spliced.get(i), rendered.get(i));
      }
      // Ids the text would not give are kept as they are.
      int[] odd = {promptIds[1], promptIds[0]};
      int[] first = scorer.spliceTokenIds(odd, examples).get(0);
      int before = tok.encode("a good film").length;
      assertArrayEquals(odd, Arrays.copyOfRange(first, before, before + 2));
    }
  }
}
