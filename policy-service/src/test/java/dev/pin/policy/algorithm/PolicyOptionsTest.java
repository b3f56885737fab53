package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.pin.kit.grpc.FieldErrors;
import dev.pin.policy.PolicyRequests;
import dev.pin.policy.qnet.TinyBackbone;
import dev.pin.v1.AdamConfig;
import dev.pin.v1.LmFilterConfig;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.TaskType;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The departures from the papers that short runs use: the LM prior weight, several updates. */
class PolicyOptionsTest {

  private static NDManager manager;
  private static TinyBackbone backbone;

  @BeforeAll
  static void setUp() {
    manager = NDManager.newBaseManager("PyTorch");
    backbone = new TinyBackbone(manager, 64, 16, 8, 42);
  }

  @AfterAll
  static void tearDown() {
    backbone.close();
    manager.close();
  }

  private static PolicyConfig.Builder config(boolean pin) {
    PolicyConfig.Builder b = PolicyConfig.newBuilder().setPromptLength(4).setMlpHiddenSize(64)
        .setSeed(3).setOptimizer(AdamConfig.newBuilder().setLearningRate(3e-3f));
    if (pin) {
      b.setSparseTsallis(SparseTsallisConfig.newBuilder()
              .setLmFilter(LmFilterConfig.newBuilder().setTopK(20)))
          .setReplay(ReplayConfig.newBuilder().setEnabled(true).setWarmup(32).setBatchSize(16)
              .setCapacity(1000));
    } else {
      b.setSoftQ(SoftQLearningConfig.newBuilder().setSamplingTopK(30));
    }
    return b;
  }

  private static PolicyHyperparameters hp(PolicyConfig.Builder b) {
    return PolicyHyperparameters.fromProto(b.build(), TaskType.TASK_TYPE_CLASSIFICATION);
  }

  /** The frozen LM's own next-token logits ℓ at the state after {@code prefix}. */
  private static float[] priorLogits(int[] prefix) {
    float[] h = backbone.hiddenStates(List.of(prefix))[0];
    try (NDManager m = manager.newSubManager()) {
      return backbone.priorHead().logits(m.create(h, new Shape(1, h.length))).toFloatArray();
    }
  }

  @Test
  void aDominantPriorWeightMakesTheFreshGreedyPromptTheLanguageModelsOwnChoice() {
    boolean[] allowed = new ActionSpace(64, backbone.specialTokenIds()).mask();
    for (boolean pin : List.of(true, false)) {
      // Fresh Q is ≈ 1e-4 everywhere, so β = 50 leaves the choice to ℓ alone.
      try (PromptPolicy policy = PromptPolicy.create(hp(config(pin).setPriorWeight(50)),
          backbone)) {
        int[] greedy = policy.sample(1, true).prompts().get(0).tokenIds();
        for (int t = 0; t < greedy.length; t++) {
          float[] l = priorLogits(Arrays.copyOf(greedy, t));
          int best = -1;
          for (int a = 0; a < l.length; a++) {
            if (allowed[a] && (best < 0 || l[a] > l[best])) {
              best = a;
            }
          }
          assertEquals(best, greedy[t], (pin ? "PIN" : "RLPrompt") + " step " + t);
        }
      }
    }
  }

  @Test
  void withoutThePriorWeightSamplesAreThoseOfThePapersPolicy() {
    for (boolean pin : List.of(true, false)) {
      try (PromptPolicy plain = PromptPolicy.create(hp(config(pin)), backbone);
          PromptPolicy zero = PromptPolicy.create(hp(config(pin).setPriorWeight(0)), backbone)) {
        for (int round = 0; round < 3; round++) {
          SampleBatch a = plain.sample(8, false);
          SampleBatch b = zero.sample(8, false);
          for (int i = 0; i < 8; i++) {
            assertArrayEquals(a.prompts().get(i).tokenIds(), b.prompts().get(i).tokenIds());
          }
        }
      }
    }
  }

  @Test
  void aSmallPriorWeightConcentratesTheFreshPolicyOnWhatTheLanguageModelPrefers() {
    // Mean prior logit of the sampled tokens: higher with β > 0 than with the papers' policy.
    for (boolean pin : List.of(true, false)) {
      double[] meanLogit = new double[2];
      float[] weights = {0f, 2f};
      for (int w = 0; w < 2; w++) {
        try (PromptPolicy policy = PromptPolicy.create(hp(config(pin).setPriorWeight(weights[w])),
            backbone)) {
          int n = 0;
          for (SampleBatch.SampledPrompt p : policy.sample(64, false).prompts()) {
            int[] z = p.tokenIds();
            for (int t = 0; t < z.length; t++) {
              meanLogit[w] += priorLogits(Arrays.copyOf(z, t))[z[t]];
              n++;
            }
          }
          meanLogit[w] /= n;
        }
      }
      assertTrue(meanLogit[1] > meanLogit[0], (pin ? "PIN" : "RLPrompt") + ": "
          + Arrays.toString(meanLogit));
    }
  }

  @Test
  void updatesPerStepTakesThatManyGradientStepsPerUpdate() {
    Bandit bandit = new Bandit(2, 7, 1.0);
    // PIN: no step while the buffer warms up (32 prompts), then 3 per Update.
    try (PromptPolicy pin = PromptPolicy.create(hp(config(true).setReplay(ReplayConfig
        .newBuilder().setEnabled(true).setWarmup(32).setBatchSize(16).setCapacity(1000)
        .setUpdatesPerStep(3))), backbone)) {
      assertEquals(0, pin.update(bandit.reward(pin.sample(16, false))).step());
      assertEquals(3, pin.update(bandit.reward(pin.sample(16, false))).step());
      assertEquals(6, pin.update(bandit.reward(pin.sample(16, false))).step());
    }
    // RLPrompt on-policy: the same batch twice.
    try (PromptPolicy sql = PromptPolicy.create(hp(config(false).setReplay(ReplayConfig
        .newBuilder().setUpdatesPerStep(2))), backbone)) {
      assertEquals(2, sql.update(bandit.reward(sql.sample(16, false))).step());
    }
  }

  @Test
  void qSpreadGrowsAsTheBanditIsLearned() {
    try (PromptPolicy policy = PromptPolicy.create(hp(config(true)), backbone)) {
      double fresh = policy.sample(16, false).meanQSpread();
      new Bandit(2, 7, 1.0).train(policy, 16, 60, 1000, 1);
      double trained = policy.sample(16, false).meanQSpread();
      assertTrue(fresh >= 0 && trained > 10 * fresh, fresh + " → " + trained);
    }
  }

  @Test
  void outOfRangeOptionsAreRefusedWithTheirPaths() {
    // One check per rule, on the effective config (defaults filled), as CreatePolicy makes it.
    PolicyConfig bad = config(true).setPriorWeight(-1).setGamma(1.5f).setPromptLength(500)
        .setReplay(ReplayConfig.newBuilder().setEnabled(true).setUpdatesPerStep(-2)).build();
    FieldErrors errors = new FieldErrors();
    PolicyRequests.effective(errors, "config", PolicyHyperparameters.effective(bad, 1000));
    assertEquals(List.of(
        "config.prompt_length: must be between 1 and 64, got 500",
        "config.gamma: must be in (0, 1] (default 1), got 1.5",
        "config.replay.updates_per_step: must be between 1 and 64, got -2",
        "config.prior_weight: must be between 0.0 and 100.0, got -1.0"), errors.messages());
    FieldErrors none = new FieldErrors();
    PolicyRequests.effective(none, "config", PolicyHyperparameters.effective(config(true).build(),
        1000));
    assertEquals(List.of(), none.messages());
  }

  @Test
  void theFilterDefaultsToAFifthOfTheVocabularyUpToTenThousand() {
    // §4.2: 10 000 of GPT-2's 50 257; 20 % of BERT's 30 522 and of smaller vocabularies.
    assertEquals(10_000, PolicyHyperparameters.lmFilterTopK(0));
    assertEquals(10_000, PolicyHyperparameters.lmFilterTopK(50_257));
    assertEquals(6_104, PolicyHyperparameters.lmFilterTopK(30_522));
    assertEquals(51, PolicyHyperparameters.lmFilterTopK(257));
    assertEquals(1, PolicyHyperparameters.lmFilterTopK(2));
    PolicyConfig pin = PolicyConfig.newBuilder()
        .setSparseTsallis(SparseTsallisConfig.getDefaultInstance()).build();
    assertEquals(6_104, PolicyHyperparameters.effective(pin, 30_522).getSparseTsallis()
        .getLmFilter().getTopK());
    assertEquals(51, PolicyHyperparameters.effective(pin, 257).getSparseTsallis()
        .getLmFilter().getTopK());
  }

  @Test
  void wordsOnlyActsOverWholeWordsOfLetters() {
    ActionSpace all = ActionSpace.of(backbone, false);
    ActionSpace words = ActionSpace.of(backbone, true);
    for (int id = 0; id < 64; id++) {
      boolean word = id >= 4 && id % 5 != 0 && id % 7 != 0;
      assertEquals(word, words.allows(id), id + " spelled " + backbone.token(id));
    }
    assertTrue(words.size() < all.size());
    // Vocabularies that mark word starts keep marked words only; WordPiece keeps unmarked ones.
    assertTrue(ActionSpace.isWholeWord("\u0120great", true));
    assertTrue(!ActionSpace.isWholeWord("great", true), "a BPE piece that continues a word");
    assertTrue(!ActionSpace.isWholeWord("##ing", false));
    assertTrue(!ActionSpace.isWholeWord("1999", false));
    assertTrue(!ActionSpace.isWholeWord("\u4e2d", false), "letters, but not Latin ones");
    assertTrue(ActionSpace.isWholeWord("café", false));
    for (boolean pin : List.of(true, false)) {
      try (PromptPolicy policy = PromptPolicy.create(hp(config(pin).setWordsOnly(true)),
          backbone)) {
        assertEquals(words.size(), policy.actionSpaceSize());
        for (SampleBatch.SampledPrompt p : policy.sample(32, false).prompts()) {
          for (int z : p.tokenIds()) {
            assertTrue(words.allows(z), (pin ? "PIN" : "RLPrompt") + " sampled " + z);
          }
        }
      }
    }
  }

  @Test
  void noRepeatTokensNeverPutATokenTwiceInAPrompt() {
    for (boolean pin : List.of(true, false)) {
      try (PromptPolicy policy = PromptPolicy.create(hp(config(pin).setNoRepeatTokens(true)
          .setPriorWeight(50)), backbone)) {
        // A dominant prior would repeat its favourite token; no prompt may hold one twice.
        Bandit bandit = new Bandit(2, 7, 1.0);
        for (int round = 0; round < 4; round++) {
          SampleBatch batch = policy.sample(16, round % 2 == 1);
          for (SampleBatch.SampledPrompt p : batch.prompts()) {
            assertEquals(p.tokenIds().length, Arrays.stream(p.tokenIds()).distinct().count(),
                (pin ? "PIN " : "RLPrompt ") + Arrays.toString(p.tokenIds()));
          }
          policy.update(bandit.reward(batch));
        }
      }
    }
  }
}
