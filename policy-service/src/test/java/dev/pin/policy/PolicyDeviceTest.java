package dev.pin.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

/** policy.device resolution: CUDA where the engine has the GPU, else the CPU (with a warning). */
class PolicyDeviceTest {
  @Test
  void cudaOnlyWhereTheEngineSeesThatGpu() {
    assertEquals(PolicyDevice.CPU, PolicyDevice.resolve("cpu", 2));
    assertEquals(new PolicyDevice("cuda:1", Device.gpu(1)), PolicyDevice.resolve("cuda:1", 2));
    assertEquals(PolicyDevice.CPU, PolicyDevice.resolve("cuda:2", 2), "no third GPU");
    assertEquals(PolicyDevice.CPU, PolicyDevice.resolve("cuda:0", 0), "CPU natives");
  }
}
