package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.pin.policy.qnet.TinyBackbone;
import dev.pin.v1.AdamConfig;
import dev.pin.v1.LmFilterConfig;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.TaskType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SparseTsallisQLearningTest {

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

  static PolicyHyperparameters hp(long seed, LmFilterConfig filter) {
    return PolicyHyperparameters.fromProto(PolicyConfig.newBuilder()
        .setPromptLength(4)
        .setMlpHiddenSize(64)
        .setSeed(seed)
        .setSparseTsallis(SparseTsallisConfig.newBuilder().setLmFilter(filter))
        .setOptimizer(AdamConfig.newBuilder().setLearningRate(3e-3f))
        .setReplay(ReplayConfig.newBuilder().setEnabled(true).setWarmup(32).setBatchSize(64)
            .setCapacity(2000))
        .build(), TaskType.TASK_TYPE_CLASSIFICATION);
  }

  @Test
  void defaultsFollowSection8() {
    PolicyHyperparameters d = PolicyHyperparameters.defaults(
        PolicyHyperparameters.Algorithm.SPARSE_TSALLIS, TaskType.TASK_TYPE_CLASSIFICATION);
    assertEquals(SparseTsallisQLearning.Loss.V1, d.pinLoss());
    assertTrue(d.filterEnabled() && d.replayEnabled());
    assertEquals(64_000, d.replayCapacity());
    assertEquals(256, d.replayWarmup());
    assertEquals(256, d.replayBatchSize());
    assertEquals(10_000, d.effectiveFilterTopK(50_257));
    // round(0.2·30 522) for BERT's vocabulary: the one rule (lmFilterTopK) the stored spec has
    // always shown, where this auto path used ⌈·⌉ and gave 6 105.
    assertEquals(6_104, d.effectiveFilterTopK(30_522));
    assertEquals(-1000, d.ignoredValue());
    assertEquals(1e-3, d.targetPolyak());
    assertEquals(5e-5, d.learningRate());
    PolicyHyperparameters rl = PolicyHyperparameters.defaults(
        PolicyHyperparameters.Algorithm.SOFT_Q, TaskType.TASK_TYPE_STYLE_TRANSFER);
    assertEquals(SoftQLearning.Loss.V2_V3_MIXED, rl.sqlLoss());
    assertEquals(50, rl.samplingTopK());
    assertEquals(-10, rl.logitBias());
    assertFalse(rl.replayEnabled());
    assertEquals(8, PolicyHyperparameters.defaults(PolicyHyperparameters.Algorithm.SPARSE_TSALLIS,
        TaskType.TASK_TYPE_IMAGE_INVERSION).promptLength());
    // The effective config round-trips through the wire form.
    assertEquals(d.withSeed(0), PolicyHyperparameters.fromProto(d.toProto(50_257),
        TaskType.TASK_TYPE_CLASSIFICATION).withFilterTopK(0));
  }

  @Test
  void banditGreedyPromptFindsThePayingToken() {
    LmFilterConfig off = LmFilterConfig.newBuilder().setDisabled(true).build();
    try (PromptPolicy policy = PromptPolicy.create(hp(1, off), backbone)) {
      int rounds = new Bandit(2, 7, 1.0).train(policy, 16, 600, 10, 3);
      assertTrue(rounds > 0, "greedy z_2 never settled on token 7 within 600 rounds");
      System.out.println("PIN bandit converged after " + rounds + " rounds");
    }
  }

  @Test
  void banditWithTheLmFilterOnFindsATokenTheFilterKeeps() {
    // The paying token must survive F_I at position 2, so take the one the tiny LM keeps in the
    // most states (k = 20 of 60) over every prefix (z_0, z_1) of allowed tokens.
    int k = 20;
    boolean[] allowed = new ActionSpace(64, backbone.specialTokenIds()).mask();
    int[] keptCount = new int[64];
    List<int[]> prefixes = new ArrayList<>();
    for (int a = 4; a < 64; a++) {
      for (int b = 4; b < 64; b++) {
        prefixes.add(new int[] {a, b});
      }
    }
    for (float[] logits : lmLogits(backbone, backbone.hiddenStates(prefixes))) {
      boolean[] keep = LmFilter.keep(logits, k, allowed);
      for (int v = 0; v < 64; v++) {
        keptCount[v] += keep[v] ? 1 : 0;
      }
    }
    int token = 4;
    for (int v = 4; v < 64; v++) {
      token = keptCount[v] > keptCount[token] ? v : token;
    }
    try (PromptPolicy policy =
        PromptPolicy.create(hp(1, LmFilterConfig.newBuilder().setTopK(k).build()), backbone)) {
      int rounds = new Bandit(2, token, 1.0).train(policy, 16, 600, 10, 3);
      assertTrue(rounds > 0, "greedy z_2 never settled on token " + token + " (kept in "
          + keptCount[token] + " of " + prefixes.size() + " states) within 600 rounds");
      System.out.println("PIN bandit with F_I (k = " + k + ", token " + token + ") converged after "
          + rounds + " rounds");
    }
  }

  @Test
  void samplingNeverLeavesTheFiltersTopK() {
    // Default k = ⌈0.2·60⌉ = 12 of the 60 allowed tokens.
    try (SparseTsallisQLearning policy = new SparseTsallisQLearning(
        hp(2, LmFilterConfig.getDefaultInstance()), backbone)) {
      assertEquals(12, policy.filterTopK());
      Bandit bandit = new Bandit(1, 20, 1.0);
      for (int round = 0; round < 6; round++) {
        SampleBatch batch = policy.sample(16, round % 2 == 1);
        assertInsideTheFilter(backbone, batch, 12);
        assertTrue(batch.meanSupportSize() <= 12 + 1e-9);
        policy.update(bandit.reward(batch));
      }
    }
  }

  /** Every token of every prompt is among F_I's top k of the frozen LM at its prefix. */
  static void assertInsideTheFilter(TinyBackbone backbone, SampleBatch batch, int k) {
    boolean[] allowed = new ActionSpace(64, backbone.specialTokenIds()).mask();
    for (SampleBatch.SampledPrompt p : batch.prompts()) {
      int[] z = p.tokenIds();
      List<int[]> prefixes = new ArrayList<>();
      for (int t = 0; t < z.length; t++) {
        prefixes.add(java.util.Arrays.copyOf(z, t));
      }
      float[][] logits = lmLogits(backbone, backbone.hiddenStates(prefixes));
      for (int t = 0; t < z.length; t++) {
        boolean[] keep = LmFilter.keep(logits[t], k, allowed);
        assertTrue(keep[z[t]], "token " + z[t] + " at step " + t + " is outside F_I");
      }
    }
  }

  @Test
  void saveLoadContinuesExactlyWithTheReplayBuffer() throws IOException {
    Bandit bandit = new Bandit(2, 7, 1.0);
    LmFilterConfig filter = LmFilterConfig.newBuilder().setTopK(30).build();
    try (PromptPolicy a = PromptPolicy.create(hp(4, filter), backbone)) {
      for (int i = 0; i < 4; i++) { // 64 prompts: warm (32) after two rounds
        UpdateResult u = a.update(bandit.reward(a.sample(16, false)));
        assertEquals(i >= 1, u.updated());
        assertEquals(16 * (i + 1), u.replaySize());
      }
      SampleBatch pending = a.sample(16, false);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      a.save(bytes);
      try (PromptPolicy restored = PromptPolicy.create(hp(77, filter), backbone)) {
        restored.load(new ByteArrayInputStream(bytes.toByteArray()));
        assertEquals(a.replaySize(), restored.replaySize());
        assertEquals(a.update(bandit.reward(pending)), restored.update(bandit.reward(pending)));
        for (int i = 0; i < 3; i++) {
          SampleBatch sa = a.sample(16, false);
          SampleBatch sr = restored.sample(16, false);
          SoftQLearningTest.assertSameTokens(sa, sr);
          UpdateResult ua = a.update(bandit.reward(sa));
          assertTrue(ua.updated());
          assertEquals(ua, restored.update(bandit.reward(sr)));
        }
      }
    }
  }

  /** The frozen head's logits ℓ = W_LM·h, one row per hidden state. */
  private static float[][] lmLogits(TinyBackbone backbone, float[][] h) {
    int d = h[0].length;
    float[] flat = new float[h.length * d];
    for (int i = 0; i < h.length; i++) {
      System.arraycopy(h[i], 0, flat, i * d, d);
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      float[] all = backbone.head().logits(m.create(flat, new Shape(h.length, d))).toFloatArray();
      int vocab = all.length / h.length;
      float[][] rows = new float[h.length][];
      for (int i = 0; i < h.length; i++) {
        rows[i] = java.util.Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab);
      }
      return rows;
    }
  }
}
