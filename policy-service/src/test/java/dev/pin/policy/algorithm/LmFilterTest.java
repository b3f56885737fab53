package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LmFilterTest {

  @Test
  void keepsTheTopKAndEveryTieAtTheThreshold() {
    // k = 2: the 2nd largest logit is 3, tied by ids 1 and 3, so three tokens survive.
    float[] logits = {5f, 3f, 1f, 3f, -2f};
    boolean[] keep = LmFilter.keep(logits, 2, null);
    assertArrayEquals(new boolean[] {true, true, false, true, false}, keep);
    float[] q = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
    assertArrayEquals(new float[] {0.1f, 0.2f, -1000f, 0.4f, -1000f},
        LmFilter.apply(q, keep, -1000f));
  }

  @Test
  void specialTokensAreNeverKeptAndUseNoPlace() {
    // Id 0 has the largest logit but is special; k = 2 keeps the two best allowed ids, 2 and 3.
    float[] logits = {9f, 1f, 4f, 3f};
    boolean[] allowed = new ActionSpace(4, new int[] {0}).mask();
    assertArrayEquals(new boolean[] {false, false, true, true}, LmFilter.keep(logits, 2, allowed));
    // k larger than the allowed set keeps every allowed id.
    assertArrayEquals(new boolean[] {false, true, true, true}, LmFilter.keep(logits, 10, allowed));
  }

  @Test
  void ndArrayFilterMatchesTheArrayVersion() {
    Random random = new Random(1);
    int rows = 6;
    int vocab = 40;
    float[] logits = new float[rows * vocab];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = random.nextInt(8); // many ties
    }
    ActionSpace space = new ActionSpace(vocab, new int[] {0, 5, 39});
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray keep = LmFilter.keep(manager.create(logits, new Shape(rows, vocab)), 7,
          space.mask(manager));
      boolean[] nd = keep.toBooleanArray();
      for (int r = 0; r < rows; r++) {
        float[] row = java.util.Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
        boolean[] expected = LmFilter.keep(row, 7, space.mask());
        for (int v = 0; v < vocab; v++) {
          assertEquals(expected[v], nd[r * vocab + v], "row " + r + " token " + v);
        }
      }
    }
  }

  @Test
  void actionSpaceCountsAllowedTokens() {
    ActionSpace space = new ActionSpace(10, new int[] {0, 1, 1, 9, 42});
    assertEquals(7, space.size());
    assertEquals(10, space.vocabSize());
    assertEquals(false, space.allows(9));
    assertEquals(true, space.allows(2));
  }
}
