package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.pin.policy.qnet.TinyBackbone;
import dev.pin.v1.AdamConfig;
import dev.pin.v1.LmFilterConfig;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.TaskType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SoftQLearningTest {

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

  static PolicyHyperparameters hp(long seed) {
    return PolicyHyperparameters.fromProto(PolicyConfig.newBuilder()
        .setPromptLength(4)
        .setMlpHiddenSize(64)
        .setSeed(seed)
        .setSoftQ(SoftQLearningConfig.newBuilder().setSamplingTopK(64))
        .setOptimizer(AdamConfig.newBuilder().setLearningRate(3e-3f))
        .build(), TaskType.TASK_TYPE_CLASSIFICATION);
  }

  @Test
  void banditGreedyPromptFindsThePayingToken() {
    try (PromptPolicy policy = PromptPolicy.create(hp(1), backbone)) {
      int rounds = new Bandit(2, 7, 5.0).train(policy, 32, 600, 10, 3);
      assertTrue(rounds > 0, "greedy z_2 never settled on token 7 within 600 rounds");
      System.out.println("SQL bandit converged after " + rounds + " rounds");
    }
  }

  @Test
  void samplesStayInTheActionSpaceAndTopK() {
    PolicyHyperparameters base = hp(3);
    PolicyHyperparameters topK = PolicyHyperparameters.fromProto(base.toProto(60).toBuilder()
        .setSoftQ(SoftQLearningConfig.newBuilder().setSamplingTopK(5)).build(),
        TaskType.TASK_TYPE_CLASSIFICATION);
    try (PromptPolicy policy = PromptPolicy.create(topK, backbone)) {
      assertEquals(60, policy.actionSpaceSize());
      SampleBatch batch = policy.sample(64, false);
      assertTrue(batch.meanSupportSize() <= 5 + 1e-9);
      for (SampleBatch.SampledPrompt p : batch.prompts()) {
        assertEquals(4, p.tokenIds().length);
        for (int t = 0; t < 4; t++) {
          assertTrue(p.tokenIds()[t] >= 4, "special token sampled");
          assertTrue(p.logProbs()[t] <= 0 && p.logProbs()[t] >= Math.log(1e-6));
        }
      }
      // Five candidates: entropy at most log 5 (the head's bias makes the start non-uniform).
      assertTrue(batch.meanEntropy() > 0.5 && batch.meanEntropy() <= Math.log(5) + 1e-9);
    }
  }

  @Test
  void theLmFilterOptionKeepsSamplingInsideItsTopK() {
    // soft_q.lm_filter (off in the paper): RLPrompt restricted to F_I's k = 12 tokens a state.
    PolicyConfig wire = hp(5).toProto(64).toBuilder()
        .setSoftQ(SoftQLearningConfig.newBuilder().setSamplingTopK(64)
            .setLmFilter(LmFilterConfig.newBuilder().setTopK(12)))
        .build();
    PolicyHyperparameters filtered =
        PolicyHyperparameters.fromProto(wire, TaskType.TASK_TYPE_CLASSIFICATION);
    assertTrue(filtered.filterEnabled());
    assertFalse(hp(5).filterEnabled(), "RLPrompt has no filter unless top_k is set");
    assertFalse(hp(5).toProto(64).getSoftQ().hasLmFilter());
    assertEquals(12, filtered.toProto(64).getSoftQ().getLmFilter().getTopK());
    try (PromptPolicy policy = PromptPolicy.create(filtered, backbone)) {
      Bandit bandit = new Bandit(1, 20, 5.0);
      for (int round = 0; round < 6; round++) {
        SampleBatch batch = policy.sample(16, round % 2 == 1);
        SparseTsallisQLearningTest.assertInsideTheFilter(backbone, batch, 12);
        // softmax over at most the 12 kept tokens: entropy ≤ log 12 at every step.
        assertTrue(batch.meanEntropy() <= Math.log(12) + 1e-9);
        UpdateResult result = policy.update(bandit.reward(batch));
        assertTrue(Double.isFinite(result.loss()), "loss " + result.loss());
      }
    }
  }

  @Test
  void sameSeedSameRunAndSaveLoadContinuesExactly() throws IOException {
    Bandit bandit = new Bandit(2, 7, 5.0);
    try (PromptPolicy a = PromptPolicy.create(hp(5), backbone);
        PromptPolicy b = PromptPolicy.create(hp(5), backbone);
        PromptPolicy other = PromptPolicy.create(hp(6), backbone)) {
      for (int i = 0; i < 5; i++) {
        SampleBatch sa = a.sample(8, false);
        SampleBatch sb = b.sample(8, false);
        assertSameTokens(sa, sb);
        assertEquals(a.update(bandit.reward(sa)).loss(), b.update(bandit.reward(sb)).loss());
      }
      assertNotEquals(tokens(a.sample(8, false)), tokens(other.sample(8, false)));

      // A pending sample (not yet learned from) survives the checkpoint too.
      SampleBatch pending = a.sample(8, false);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      a.save(bytes);
      try (PromptPolicy restored = PromptPolicy.create(hp(99), backbone)) {
        restored.load(new ByteArrayInputStream(bytes.toByteArray()));
        assertEquals(a.step(), restored.step());
        UpdateResult ua = a.update(bandit.reward(pending));
        UpdateResult ur = restored.update(bandit.reward(pending));
        assertEquals(ua, ur);
        for (int i = 0; i < 3; i++) {
          SampleBatch sa = a.sample(8, false);
          SampleBatch sr = restored.sample(8, false);
          assertSameTokens(sa, sr);
          assertEquals(a.update(bandit.reward(sa)), restored.update(bandit.reward(sr)));
        }
      }
    }
  }

  @Test
  void updateFromTokenIdsEqualsUpdateFromSampleIds() {
    try (PromptPolicy a = PromptPolicy.create(hp(8), backbone);
        PromptPolicy b = PromptPolicy.create(hp(8), backbone)) {
      SampleBatch sa = a.sample(6, false);
      SampleBatch sb = b.sample(6, false);
      List<RewardedTokens> byId = new Bandit(1, 9, 1.0).reward(sa);
      List<RewardedTokens> byTokens = new java.util.ArrayList<>();
      for (int i = 0; i < byId.size(); i++) {
        byTokens.add(new RewardedTokens(0, sb.prompts().get(i).tokenIds(), byId.get(i).reward()));
      }
      assertEquals(a.update(byId), b.update(byTokens));
      assertThrows(IllegalArgumentException.class,
          () -> a.update(List.of(new RewardedTokens(12345, null, 1f))));
      assertThrows(IllegalArgumentException.class,
          () -> a.update(List.of(new RewardedTokens(0, new int[] {5, 1, 5, 5}, 1f))));
    }
  }

  static void assertSameTokens(SampleBatch x, SampleBatch y) {
    assertEquals(x.prompts().size(), y.prompts().size());
    for (int i = 0; i < x.prompts().size(); i++) {
      assertArrayEquals(x.prompts().get(i).tokenIds(), y.prompts().get(i).tokenIds());
      assertArrayEquals(x.prompts().get(i).qValues(), y.prompts().get(i).qValues());
    }
  }

  static String tokens(SampleBatch batch) {
    StringBuilder s = new StringBuilder();
    for (SampleBatch.SampledPrompt p : batch.prompts()) {
      s.append(java.util.Arrays.toString(p.tokenIds()));
    }
    return s.toString();
  }
}
