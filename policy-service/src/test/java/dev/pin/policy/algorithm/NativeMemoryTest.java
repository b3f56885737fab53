package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.pin.policy.qnet.TinyBackbone;
import dev.pin.v1.LmFilterConfig;
import org.junit.jupiter.api.Test;

/** Sampling and updating in a loop leaves no native arrays behind. */
class NativeMemoryTest {

  @Test
  void loopsDoNotLeakNdArrays() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TinyBackbone backbone = new TinyBackbone(manager, 64, 16, 8, 42);
        SoftQLearning sql = new SoftQLearning(SoftQLearningTest.hp(1), backbone);
        SparseTsallisQLearning pin = new SparseTsallisQLearning(
            SparseTsallisQLearningTest.hp(1, LmFilterConfig.getDefaultInstance()), backbone)) {
      Bandit bandit = new Bandit(2, 7, 1.0);
      int headArrays = manager.getManagedArrays().size();
      for (PromptPolicy policy : new PromptPolicy[] {sql, pin}) {
        for (int i = 0; i < 3; i++) { // PIN warms its replay buffer here
          policy.update(bandit.reward(policy.sample(16, false)));
        }
      }
      int sqlBefore = sql.liveArrays();
      int pinBefore = pin.liveArrays();
      for (int i = 0; i < 10; i++) {
        sql.update(bandit.reward(sql.sample(16, false)));
        pin.update(bandit.reward(pin.sample(16, false)));
        sql.sample(1, true);
        pin.sample(1, true);
      }
      assertEquals(sqlBefore, sql.liveArrays());
      assertEquals(pinBefore, pin.liveArrays());
      assertEquals(headArrays, manager.getManagedArrays().size());
    }
  }
}
