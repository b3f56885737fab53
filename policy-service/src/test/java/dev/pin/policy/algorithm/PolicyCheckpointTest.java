package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.pin.policy.qnet.TinyBackbone;
import dev.pin.v1.LmFilterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCheckpointTest {

  @Test
  void directoryRoundTripWithDigest(@TempDir Path dir) throws Exception {
    Bandit bandit = new Bandit(2, 7, 1.0);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        TinyBackbone backbone = new TinyBackbone(manager, 64, 16, 8, 42);
        PromptPolicy a = PromptPolicy.create(
            SparseTsallisQLearningTest.hp(3, LmFilterConfig.getDefaultInstance()), backbone)) {
      for (int i = 0; i < 3; i++) {
        a.update(bandit.reward(a.sample(16, false)));
      }
      PolicyCheckpoint.Written w = PolicyCheckpoint.save(a, dir.resolve("step-1"));
      byte[] bytes = Files.readAllBytes(w.file());
      assertEquals(bytes.length, w.sizeBytes());
      assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)),
          w.sha256());
      assertEquals(a.step(), w.step());
      try (PromptPolicy b = PromptPolicy.create(
          SparseTsallisQLearningTest.hp(3, LmFilterConfig.getDefaultInstance()), backbone)) {
        PolicyCheckpoint.load(b, dir.resolve("step-1"));
        SampleBatch sa = a.sample(16, false);
        SampleBatch sb = b.sample(16, false);
        SoftQLearningTest.assertSameTokens(sa, sb);
        assertEquals(a.update(bandit.reward(sa)), b.update(bandit.reward(sb)));
      }
      // A checkpoint of another algorithm is refused.
      try (PromptPolicy sql = PromptPolicy.create(SoftQLearningTest.hp(3), backbone)) {
        assertThrows(IOException.class, () -> PolicyCheckpoint.load(sql, dir.resolve("step-1")));
      }
    }
  }
}
