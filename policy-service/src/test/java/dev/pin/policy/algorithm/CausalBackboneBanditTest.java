package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.testing.TinyModels;
import dev.pin.policy.ort.OrtCausalBackbone;
import dev.pin.v1.LmFilterConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bandit sanity run on a causal backbone (§2, "Causal policy LM"): the tiny random GPT-2
 * through ONNX Runtime, with the settings of the tiny-backbone bandit tests.
 */
class CausalBackboneBanditTest {
  @TempDir static Path dir;
  private static NDManager manager;
  private static OrtSessions sessions;
  private static OrtCausalBackbone backbone;

  @BeforeAll
  static void setUp() throws Exception {
    manager = NDManager.newBaseManager("PyTorch");
    sessions = new OrtSessions();
    backbone = OrtCausalBackbone.open(TinyModels.gpt2Clm(dir.resolve("tiny-gpt2"), 5),
        OrtConfig.cpu(1), sessions, manager);
  }

  @AfterAll
  static void tearDown() {
    backbone.close();
    sessions.close();
    manager.close();
  }

  @Test
  void sparseTsallisQLearningFindsThePayingToken() {
    LmFilterConfig off = LmFilterConfig.newBuilder().setDisabled(true).build();
    try (PromptPolicy policy =
        PromptPolicy.create(SparseTsallisQLearningTest.hp(1, off), backbone)) {
      int rounds = new Bandit(2, 7, 1.0).train(policy, 16, 600, 10, 3);
      assertTrue(rounds > 0, "greedy z_2 never settled on token 7 within 600 rounds");
      System.out.println("PIN bandit on tiny GPT-2 converged after " + rounds + " rounds");
    }
  }
}
