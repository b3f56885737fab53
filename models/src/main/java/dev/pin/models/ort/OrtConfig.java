package dev.pin.models.ort;

import dev.pin.models.onnx.Precision;

/**
 * How to run ONNX Runtime sessions.
 *
 * @param device {@code cpu} or {@code cuda}
 * @param deviceId CUDA device ordinal
 * @param intraOpThreads threads inside one operator (0 = ORT's default, one per core)
 * @param interOpThreads threads across independent operators (0 = ORT's default)
 * @param lengthBucket pad sequence lengths up to a multiple of this (1 = no bucketing); buckets
 *     bound the number of distinct shapes ORT sees, which keeps its allocation caches effective
 * @param precision which graph of the model directory to run ({@link Precision#INT8} needs the
 *     int8 variant, {@code pin models import --int8})
 */
public record OrtConfig(String device, int deviceId, int intraOpThreads, int interOpThreads,
    int lengthBucket, Precision precision) {

  /** Validates the fields. */
  public OrtConfig {
    if (!device.equals("cpu") && !device.equals("cuda")) {
      throw new IllegalArgumentException("device must be cpu or cuda, not " + device);
    }
    if (lengthBucket < 1 || intraOpThreads < 0 || interOpThreads < 0 || deviceId < 0
        || precision == null) {
      throw new IllegalArgumentException("invalid OrtConfig " + this);
    }
  }

  /** CPU, ORT's default thread pools, buckets of 8. */
  public static OrtConfig defaults() {
    return new OrtConfig("cpu", 0, 0, 0, 8, Precision.FP32);
  }

  /** CPU with a fixed intra-op thread count (tests use 1 or 2 to share the machine). */
  public static OrtConfig cpu(int intraOpThreads) {
    return new OrtConfig("cpu", 0, intraOpThreads, 1, 8, Precision.FP32);
  }

  /** Same settings on {@code device}. */
  public OrtConfig withDevice(String newDevice) {
    return new OrtConfig(newDevice, deviceId, intraOpThreads, interOpThreads, lengthBucket,
        precision);
  }

  /** Same settings in {@code newPrecision}. */
  public OrtConfig withPrecision(Precision newPrecision) {
    return new OrtConfig(device, deviceId, intraOpThreads, interOpThreads, lengthBucket,
        newPrecision);
  }
}
