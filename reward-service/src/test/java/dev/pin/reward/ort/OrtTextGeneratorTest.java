package dev.pin.reward.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.template.PromptTemplate;
import dev.pin.models.testing.TinyModels;
import dev.pin.reward.backend.TaskTokenizer;
import dev.pin.reward.backend.TextGenerator.Request;
import dev.pin.reward.backend.TextGenerator;
import dev.pin.reward.batching.BatcherConfig;
import dev.pin.reward.custom.RewardFunctionRegistry;
import dev.pin.reward.scoring.RewardEngine;
import dev.pin.reward.scoring.RewardEngineConfig;
import dev.pin.reward.style.StyleOutputs;
import dev.pin.reward.task.TaskRegistry;
import dev.pin.reward.testing.MapModelCatalog;
import dev.pin.v1.GenerateRequest;
import dev.pin.v1.GenerateResponse;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ORT generator on tiny random GPT-2 and OPT models from a model store, through {@link
 * OrtModelCatalog#generator}: seeded determinism, greedy top-k = 1 against the full forward, and
 * the new-token budget.
 */
class OrtTextGeneratorTest {
  @org.junit.jupiter.api.io.TempDir static Path home;
  static OrtModelCatalog catalog;

  @BeforeAll
  static void store() throws IOException {
    TinyModels.gpt2Clm(home.resolve("tiny-gpt2"), 21);
    TinyModels.optClm(home.resolve("tiny-opt"), 22, TinyModels.OPT_CONFIG);
    TinyModels.optClm(home.resolve("tiny-opt-350m"), 23, TinyModels.OPT_350M_STYLE_CONFIG);
    catalog = new OrtModelCatalog(new ModelStore(home), OrtConfig.cpu(1));
  }

  @AfterAll
  static void close() {
    catalog.close();
  }

  static TextGenerator generator(String name) {
    return catalog.generator(ModelRef.newBuilder().setName(name).build()).orElseThrow();
  }

  /** Greedy decoding by repeated full forwards (no cache), with the same stop rules. */
  static String greedy(String name, String input, int maxNew) throws IOException {
    ModelDir dir = new ModelStore(home).require(name);
    CausalLm lm = CausalLm.open(dir, OrtConfig.cpu(1));
    TaskTokenizer tok = generator(name).tokenizer();
    int[] ids = tok.encode(input);
    if (lm.prependsBos()) {
      int[] withBos = new int[ids.length + 1];
      withBos[0] = lm.manifest().specialId("bos");
      System.arraycopy(ids, 0, withBos, 1, ids.length);
      ids = withBos;
    }
    int eos = lm.manifest().specialId("eos");
    List<Integer> out = new ArrayList<>();
    for (int step = 0; step < maxNew; step++) {
      float[] logits = lm.nextTokenLogits(List.of(ids))[0];
      int best = 0;
      for (int v = 1; v < logits.length; v++) {
        if (logits[v] > logits[best]) {
          best = v;
        }
      }
      if (best == eos) {
        break;
      }
      out.add(best);
      ids = Arrays.copyOf(ids, ids.length + 1);
      ids[ids.length - 1] = best;
      if (tok.decode(new int[] {best}).contains("\"")) {
        break;
      }
    }
    return tok.decode(out.stream().mapToInt(Integer::intValue).toArray());
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-gpt2", "tiny-opt", "tiny-opt-350m"})
  void topOneIsGreedyArgmaxOfTheFullForward(String name) throws IOException {
    TextGenerator g = generator(name);
    List<Request> requests = List.of(new Request("Rewrite: \"the food was bad\" \"", 3, 12, 1,
        1f, 5), new Request("ok", 2, 4, 1, 0.7f, 6));
    List<List<String>> out = g.generate(requests);
    assertEquals(2, out.size());
    String first = greedy(name, requests.get(0).input(), 12);
    String second = greedy(name, "ok", 4);
    assertTrue(!first.isEmpty(), "the tiny model's greedy output is not empty");
    assertEquals(List.of(first, first, first), out.get(0));
    assertEquals(List.of(second, second), out.get(1));
    // A smaller budget gives the greedy prefix of that many tokens.
    assertEquals(greedy(name, "ok", 2), g.generate(List.of(new Request("ok", 1, 2, 1, 1f, 1)))
        .get(0).get(0));
    assertEquals("", g.generate(List.of(new Request("ok", 1, 0, 1, 1f, 1))).get(0).get(0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-gpt2", "tiny-opt"})
  void samplesAreSeededAndIndependentOfBatching(String name) {
    TextGenerator g = generator(name);
    Request a = new Request("the movie was", 6, 8, 50, 1.5f, 42);
    Request b = new Request("a much longer input sentence", 3, 5, 10, 1f, 7);
    List<String> alone = g.generate(List.of(a)).get(0);
    assertEquals(6, alone.size());
    assertEquals(alone, g.generate(List.of(a)).get(0), "same request and seed");
    assertEquals(alone, g.generate(List.of(b, a)).get(1), "batched with another input");
    assertTrue(alone.stream().distinct().count() > 1, "samples differ: " + alone);
    assertNotEquals(alone, g.generate(List.of(new Request("the movie was", 6, 8, 50, 1.5f, 43)))
        .get(0), "another seed");
  }

  @org.junit.jupiter.api.Test
  void generateRpcPathReturnsTheCutGreedyOutputsOfTheRealGenerator() throws IOException {
    // Style classifier and content encoder are the reward-service test models (no ORT classifier
    // or encoder exists in the store yet); Generate only samples and cuts.
    MapModelCatalog models = new MapModelCatalog()
        .withGenerator("tiny-gpt2", generator("tiny-gpt2"))
        .withClassifier("great-detector", dev.pin.reward.testing.TinyModels.greatDetector())
        .withEmbedder("one-hot", dev.pin.reward.testing.TinyModels.oneHotWords());
    try (RewardEngine engine = new RewardEngine(
        new TaskRegistry(models, RewardFunctionRegistry.discover(), 10), models,
        new RewardEngineConfig(BatcherConfig.defaults("m").withMaxWait(Duration.ofMillis(1)),
            100, 1), new SimpleMeterRegistry())) {
      String handle = engine.tasks().register(TaskSpec.newBuilder().setStyleTransfer(
          StyleTransferTask.newBuilder()
              .setGenerator(ModelRef.newBuilder().setName("tiny-gpt2"))
              .setStyleClassifier(ModelRef.newBuilder().setName("great-detector"))
              .setContentModel(ModelRef.newBuilder().setName("one-hot"))
              .setTargetLabel(1)
              .addTrain(StyleExample.newBuilder().setText("the food was bad ."))).build())
          .handle();
      GenerateResponse r = engine.generate(GenerateRequest.newBuilder().setHandle(handle)
          .setPrompt(Prompt.newBuilder().setText("Make it nice:"))
          .addInputs("the food was bad .").addInputs("slow service")
          .setGeneration(GenerationConfig.newBuilder().setTopK(1).setNumSamples(2)).build())
          .join();
      assertEquals(2, r.getResultsCount());
      for (var result : r.getResultsList()) {
        String x = result.getInput();
        int nx = generator("tiny-gpt2").tokenizer().encode(x).length;
        String expected = StyleOutputs.cut(greedy("tiny-gpt2",
            PromptTemplate.parse(
                dev.pin.reward.task.TaskCanonicalizer.DEFAULT_STYLE_TEMPLATE)
                .render(x, "Make it nice:", ""),
            StyleOutputs.maxNewTokens(nx, 0)));
        assertEquals(List.of(expected, expected), result.getOutputsList());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void sampleRanksTiesByLowerIdAndHonoursTopK(boolean hot) {
    float[] logits = {1f, 3f, 3f, -2f, 2.5f};
    java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
    assertEquals(1, OrtTextGenerator.sample(logits, 1, 1f, rng));
    for (int i = 0; i < 200; i++) {
      int t = OrtTextGenerator.sample(logits, 3, hot ? 5f : 0.5f, rng);
      assertTrue(t == 1 || t == 2 || t == 4, "outside the top 3: " + t);
    }
  }
}
