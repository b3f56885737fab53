package dev.pin.policy.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.policy.algorithm.Scalars;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The transformer pieces {@link TorchMaskedLm} and {@link TorchClipText} are built from: weights
 * read from an ONNX graph's initialisers, dense and LayerNorm layers, multi-head self-attention,
 * embedding lookups, and the scope each forward runs in.
 */
final class Blocks {

  private Blocks() {}

  /** {@code x · kernel + bias}, the kernel stored {@code [in, out]} as in the ONNX graph. */
  record Dense(NDArray kernel, NDArray bias) {
    NDArray apply(NDArray x) {
      return x.matMul(kernel).add(bias);
    }

    /** Query, key and value as one {@code [h, 3h]} dense (one GEMM, not 3); closes the three. */
    static Dense fused(Dense q, Dense k, Dense v) {
      Dense qkv = new Dense(NDArrays.concat(new NDList(q.kernel, k.kernel, v.kernel), 1),
          NDArrays.concat(new NDList(q.bias, k.bias, v.bias), 0));
      for (Dense d : List.of(q, k, v)) {
        d.kernel.close();
        d.bias.close();
      }
      return qkv;
    }
  }

  /** LayerNorm over the last axis. */
  record Norm(NDArray gamma, NDArray beta, float eps) {
    NDArray apply(NDArray x) {
      return x.getNDArrayInternal().layerNorm(x, new Shape(gamma.getShape().get(0)), gamma, beta,
          eps).singletonOrThrow();
    }
  }

  /** Reads named initialisers into arrays of one manager and data type, checking their shapes. */
  record Weights(OnnxWeights onnx, NDManager manager, DataType dataType) {
    NDArray tensor(String name, long... shape) {
      FloatTensor t = onnx.get(name);
      if (!Arrays.equals(t.shape(), shape)) {
        throw new IllegalArgumentException("weight " + name + " has shape "
            + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
      }
      NDArray a = manager.create(t.toFloats(), new Shape(shape));
      if (dataType == DataType.FLOAT32) {
        return a;
      }
      NDArray converted = a.toType(dataType, false);
      a.close();
      return converted;
    }

    Dense dense(String kernel, String bias, int in, int out) {
      return new Dense(tensor(kernel, in, out), tensor(bias, out));
    }

    Norm norm(String gamma, String beta, int width, float eps) {
      return new Norm(tensor(gamma, width), tensor(beta, width), eps);
    }
  }

  /** FLOAT32, or FLOAT64 for exact gradient checks: the data types the models compute in. */
  static DataType requireFloat(DataType dataType) {
    if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
      throw new IllegalArgumentException("data type " + dataType + ": FLOAT32 or FLOAT64");
    }
    return dataType;
  }

  /** Builds a model in a new sub-manager of {@code parent}, which is closed if building fails. */
  static <T> T inSubManager(NDManager parent, Function<NDManager, T> build) {
    NDManager manager = parent.newSubManager();
    try {
      return build.apply(manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * softmax(q·kᵀ/√d + mask)·v per head, from the fused projection {@code qkv} {@code [b, n, 3h]};
   * returns the heads' context concatenated, {@code [b, n, h]}.
   */
  static NDArray selfAttention(NDArray qkv, NDArray additiveMask, long b, long n, int heads,
      int d) {
    // [b, n, 3h] → [3, b, heads, n, d]: query, key and value per head.
    NDArray perHead = qkv.reshape(b, n, 3, heads, d).transpose(2, 0, 3, 1, 4);
    NDArray q = perHead.get(0);
    NDArray k = perHead.get(1);
    NDArray v = perHead.get(2);
    NDArray scores = Scalars.dividedBy(q.matMul(k.transpose(0, 1, 3, 2)), Math.sqrt(d))
        .add(additiveMask);
    return scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, n, (long) heads * d);
  }

  /** Rows {@code ids} of {@code table}; the result is created in the manager of {@code ids}. */
  static NDArray lookup(NDArray table, NDArray ids) {
    return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
  }

  /** Rows of {@code table} for {@code tokenIds} (any integer type), in their manager. */
  static NDArray embed(NDArray table, NDArray tokenIds) {
    NDArray ids = tokenIds.getDataType() == DataType.INT64 ? tokenIds
        : tokenIds.toType(DataType.INT64, false);
    NDArray e = lookup(table, ids);
    if (ids != tokenIds) {
      ids.close();
    }
    e.attach(tokenIds.getManager());
    return e;
  }

  /**
   * Runs {@code forward} in a scope that frees its intermediates (autograd keeps what backward
   * needs on the native side); only the result survives, attached to the manager of {@code
   * input} and registered with the caller's enclosing scope, if any.
   */
  static NDArray scoped(NDArray input, Supplier<NDArray> forward) {
    NDArray out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      out = forward.get();
      NDScope.unregister(out);
    }
    out.attach(input.getManager());
    NDScope.register(out);
    return out;
  }
}
