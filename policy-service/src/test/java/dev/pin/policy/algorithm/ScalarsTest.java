package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A constant from {@link Scalars} reaches backward intact even when the JVM collects and reuses
 * freed direct buffers between forward and backward, which DJL's {@code mul(Number)} does not
 * survive; and float64 constants are not rounded through float32.
 */
class ScalarsTest {

  @Test
  void aConstantSurvivesACollectionBetweenForwardAndBackward() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      for (int round = 0; round < 3; round++) {
        NDArray x = m.create(new float[] {1, 2, 3});
        x.setRequiresGradient(true);
        List<ByteBuffer> reused;
        try (GradientCollector tape = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray y = Scalars.dividedBy(Scalars.times(x, 0.5), 4).sum();
          reused = FreedBuffers.reuseNow();
          tape.backward(y);
        }
        assertArrayEquals(new float[] {0.125f, 0.125f, 0.125f}, x.getGradient().toFloatArray(),
            "round " + round + " (" + reused.size() + " buffers reused)");
      }
    }
  }

  @Test
  void constantsTakeTheArraysTypeAndFloat64KeepsItsPrecision() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray x64 = m.create(new double[] {3});
      NDArray c64 = Scalars.constant(x64, 0.1);
      assertEquals(DataType.FLOAT64, c64.getDataType());
      assertEquals(0.1, c64.getDouble(), 0.0);
      assertEquals(3 * 0.1, Scalars.times(x64, 0.1).getDouble(0), 0.0);
      NDArray x32 = m.create(new float[] {3});
      NDArray c32 = Scalars.constant(x32, 0.1);
      assertEquals(DataType.FLOAT32, c32.getDataType());
      assertEquals(0.1f, c32.getFloat(), 0.0f);
      assertEquals(0, c32.getShape().dimension());
    }
  }
}
