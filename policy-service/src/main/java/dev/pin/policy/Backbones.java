package dev.pin.policy;

import ai.djl.ndarray.NDManager;
import dev.pin.platform.models.ort.OrtConfig;
import dev.pin.platform.models.ort.OrtSessions;
import dev.pin.platform.models.store.ModelDir;
import dev.pin.platform.models.store.ModelManifest;
import dev.pin.platform.models.store.ModelStore;
import dev.pin.policy.ort.OrtBertBackbone;
import dev.pin.v1.MaskedHead;
import io.grpc.Status;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The frozen backbones, one per model, shared by every policy on it (the LM is frozen, so runs can
 * share its weights and ONNX Runtime session).
 */
final class Backbones implements AutoCloseable {
  private final ModelStore store;
  private final OrtConfig ort;
  private final OrtSessions sessions = new OrtSessions();
  private final NDManager manager = NDManager.newBaseManager("PyTorch");
  private record Key(String model, MaskedHead mode) {}

  private final Map<Key, OrtBertBackbone> loaded = new HashMap<>();

  Backbones(ModelStore store, OrtConfig ort) {
    this.store = store;
    this.ort = ort;
  }

  /** The backbone of {@code model} with its head in {@code mode}, loading it on first use. */
  synchronized OrtBertBackbone get(String model, MaskedHead requested) {
    MaskedHead mode = requested == MaskedHead.MASKED_HEAD_FULL
        ? MaskedHead.MASKED_HEAD_FULL : MaskedHead.MASKED_HEAD_TIED_DECODER;
    Key key = new Key(model, mode);
    OrtBertBackbone backbone = loaded.get(key);
    if (backbone != null) {
      return backbone;
    }
    ModelDir dir = store.find(model).orElseThrow(() -> Status.FAILED_PRECONDITION
        .withDescription("model '" + model + "' is not in the model store at " + store.home()
            + "; import it (`pin models import " + model + "`) or pick one from `pin models list`")
        .asRuntimeException());
    if (!ModelManifest.ARCH_BERT_MLM.equals(dir.manifest().architecture())) {
      throw Status.FAILED_PRECONDITION.withDescription("model '" + model + "' is a "
          + dir.manifest().architecture() + "; the policy backbone must be a masked LM "
          + "(bert-mlm) in this build").asRuntimeException();
    }
    try {
      backbone = OrtBertBackbone.open(dir, ort, sessions, manager, mode);
    } catch (IOException e) {
      throw Status.FAILED_PRECONDITION.withDescription("cannot load model '" + model + "': "
          + e.getMessage()).withCause(e).asRuntimeException();
    }
    loaded.put(key, backbone);
    return backbone;
  }

  @Override
  public synchronized void close() {
    loaded.values().forEach(OrtBertBackbone::close);
    loaded.clear();
    sessions.close();
    manager.close();
  }
}
