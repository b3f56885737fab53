package dev.pin.policy;

import ai.djl.Device;
import java.util.logging.Logger;

/**
 * Where a policy's PyTorch arrays (MLP, target, Adam state, heads) live, from {@code
 * policy.device} or {@code PolicyConfig.device}: {@code cpu} or {@code cuda:N}. As with the
 * reward service's ONNX Runtime provider ({@code OrtSessions}), a CUDA request that this process
 * cannot serve — DJL's CPU PyTorch natives, or fewer GPUs than N + 1 — logs a warning and runs on
 * the CPU, and the policy reports the device it really uses.
 *
 * @param name the effective device, {@code cpu} or {@code cuda:N}
 * @param device the same as a DJL device
 */
record PolicyDevice(String name, Device device) {
  private static final Logger LOG = Logger.getLogger(PolicyDevice.class.getName());

  static final PolicyDevice CPU = new PolicyDevice("cpu", Device.cpu());

  /**
   * Resolves {@code requested} against the GPUs DJL's PyTorch engine sees.
   *
   * @param requested {@code cpu} or {@code cuda:N} (validated by the caller)
   * @param gpuCount GPUs of the PyTorch engine (0 with the CPU natives)
   */
  static PolicyDevice resolve(String requested, int gpuCount) {
    if (!requested.startsWith("cuda:")) {
      return CPU;
    }
    int id = Integer.parseInt(requested.substring("cuda:".length()));
    if (id < gpuCount) {
      return new PolicyDevice(requested, Device.gpu(id));
    }
    LOG.warning("policy device " + requested + " was requested but DJL's PyTorch engine here "
        + "sees " + gpuCount + " GPU(s) (this build carries the CPU natives, "
        + "ai.djl.pytorch:pytorch-native-cpu); running the policy on CPU. Put a "
        + "pytorch-native-cu* artifact on the classpath for GPU training.");
    return CPU;
  }
}
