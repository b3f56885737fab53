package dev.pin.models.ort;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * A registry of ONNX Runtime sessions keyed by model file and {@link OrtConfig}, so every caller
 * in a process shares one session (and one copy of the weights) per model. {@code OrtSession.run}
 * is thread-safe, so sessions are shared without locking.
 */
public final class OrtSessions implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(OrtSessions.class.getName());
  private static final OrtSessions SHARED = new OrtSessions();

  private record Key(Path model, OrtConfig config) {}

  private final Map<Key, OrtSession> sessions = new ConcurrentHashMap<>();

  /** The process-wide registry; closed by the JVM's exit (or explicitly by the owner). */
  public static OrtSessions shared() {
    return SHARED;
  }

  /** The ORT environment (a process singleton). */
  public static OrtEnvironment env() {
    return OrtEnvironment.getEnvironment();
  }

  /**
   * The session for {@code model} under {@code config}, created on first use.
   *
   * @throws IOException when ORT cannot load the model
   */
  public OrtSession session(Path model, OrtConfig config) throws IOException {
    Key key = new Key(model.toAbsolutePath().normalize(), config);
    try {
      return sessions.computeIfAbsent(key, k -> {
        try {
          return create(k.model(), k.config());
        } catch (OrtException e) {
          throw new IllegalStateException(e);
        }
      });
    } catch (IllegalStateException e) {
      throw new IOException("ONNX Runtime cannot load " + model + ": "
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
    }
  }

  private final Map<String, OrtSession> derived = new ConcurrentHashMap<>();

  /**
   * The session of a graph built in memory (e.g. an encoder cut at a layer, derived from a stored
   * model), created from {@code build}'s bytes on first use of {@code key} under {@code config}.
   *
   * @throws IOException when the graph cannot be built or ORT cannot load it
   */
  public OrtSession derivedSession(String key, OrtConfig config, ModelBytes build)
      throws IOException {
    String k = key + "|" + config;
    OrtSession s = derived.get(k);
    if (s != null) {
      return s;
    }
    synchronized (derived) {
      s = derived.get(k);
      if (s == null) {
        byte[] bytes = build.get();
        try {
          long t0 = System.nanoTime();
          s = env().createSession(bytes, options(k, config));
          LOG.info(String.format("built and loaded %s on %s in %.1f s", key, config.device(),
              (System.nanoTime() - t0) / 1e9));
        } catch (OrtException e) {
          throw new IOException("ONNX Runtime cannot load " + key + ": " + e.getMessage(), e);
        }
        derived.put(k, s);
      }
      return s;
    }
  }

  /** Produces a serialised ONNX model. */
  @FunctionalInterface
  public interface ModelBytes {
    /** The model's protobuf bytes. */
    byte[] get() throws IOException;
  }

  /** Whether this ONNX Runtime build has the CUDA execution provider. */
  public static boolean cudaAvailable() {
    return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
  }

  private static OrtSession create(Path model, OrtConfig config) throws OrtException {
    OrtSession.SessionOptions opts = options(model, config);
    long t0 = System.nanoTime();
    OrtSession s = env().createSession(model.toString(), opts);
    LOG.info(String.format("loaded %s on %s in %.1f s", model.getFileName(), config.device(),
        (System.nanoTime() - t0) / 1e9));
    return s;
  }

  private static OrtSession.SessionOptions options(Object model, OrtConfig config)
      throws OrtException {
    OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
    opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (config.intraOpThreads() > 0) {
      opts.setIntraOpNumThreads(config.intraOpThreads());
    }
    if (config.interOpThreads() > 0) {
      opts.setInterOpNumThreads(config.interOpThreads());
    }
    if (config.device().equals("cuda")) {
      if (cudaAvailable()) {
        opts.addCUDA(config.deviceId());
      } else {
        LOG.warning("CUDA was requested for " + model + " but this ONNX Runtime build has no CUDA"
            + " provider (available: " + OrtEnvironment.getAvailableProviders()
            + "); running on CPU. Put com.microsoft.onnxruntime:onnxruntime_gpu on the classpath"
            + " for GPU inference.");
      }
    }
    return opts;
  }

  /** Closes every session. */
  @Override
  public void close() {
    List<OrtSession> all = new ArrayList<>(sessions.values());
    all.addAll(derived.values());
    derived.clear();
    for (OrtSession s : all) {
      try {
        s.close();
      } catch (OrtException e) {
        LOG.warning("closing session: " + e.getMessage());
      }
    }
    sessions.clear();
  }
}
