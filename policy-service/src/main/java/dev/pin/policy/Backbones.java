package dev.pin.policy;

import ai.djl.ndarray.NDManager;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.policy.ort.OrtBackbone;
import dev.pin.policy.ort.OrtBertBackbone;
import dev.pin.policy.ort.OrtCausalBackbone;
import dev.pin.v1.MaskedHead;
import io.grpc.Status;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The frozen backbones, one per model, shared by every policy on it (the LM is frozen, so runs can
 * share its weights and ONNX Runtime session). The model's manifest picks the kind (§2): a masked
 * LM ({@code bert-mlm}) used as a left-to-right prior, or a causal LM ({@code gpt2-clm}, and OPT
 * where the platform runs it).
 */
final class Backbones implements AutoCloseable {
  private final ModelStore store;
  private final OrtConfig ort;
  private final OrtSessions sessions = new OrtSessions();
  /** One manager per device, owning the heads' weights there. */
  private final Map<String, NDManager> managers = new HashMap<>();
  private record Key(String model, MaskedHead mode, String device) {}

  private final Map<Key, OrtBackbone> loaded = new HashMap<>();

  Backbones(ModelStore store, OrtConfig ort) {
    this.store = store;
    this.ort = ort;
  }

  /**
   * The manifest of a backbone, without loading it: what its defaults depend on (vocabulary size,
   * masked or causal, §2 and §4.2). FAILED_PRECONDITION naming {@code field} when the model is
   * missing or cannot be a policy backbone.
   */
  ModelManifest manifest(String field, String model) {
    ModelDir dir = store.find(model).orElseThrow(() -> Status.FAILED_PRECONDITION
        .withDescription(field + ": model '" + model + "' is not in the model store at "
            + store.home() + "; import it (" + ModelStore.importHint(model) + ") or pick one from "
            + "`pin models list`")
        .asRuntimeException());
    String architecture = dir.manifest().architecture();
    if (!ModelManifest.ARCH_BERT_MLM.equals(architecture)
        && !OrtCausalBackbone.supports(architecture)) {
      throw Status.FAILED_PRECONDITION.withDescription(field + ": model '" + model + "' is a "
          + architecture + "; a policy backbone must be a masked LM (bert-mlm) or a causal LM "
          + "(gpt2-clm, opt-clm)").asRuntimeException();
    }
    return dir.manifest();
  }

  /**
   * The backbone of {@code model}, loading it on first use; {@code requested} places the MLP of a
   * masked LM (a causal LM's head has one form only).
   */
  synchronized OrtBackbone get(String model, MaskedHead requested, PolicyDevice device) {
    manifest("backbone", model);
    ModelDir dir = store.find(model).orElseThrow();
    boolean masked = ModelManifest.ARCH_BERT_MLM.equals(dir.manifest().architecture());
    MaskedHead mode = !masked ? MaskedHead.MASKED_HEAD_UNSPECIFIED
        : requested == MaskedHead.MASKED_HEAD_FULL
            ? MaskedHead.MASKED_HEAD_FULL : MaskedHead.MASKED_HEAD_TIED_DECODER;
    Key key = new Key(model, mode, device.name());
    OrtBackbone backbone = loaded.get(key);
    if (backbone != null) {
      return backbone;
    }
    NDManager manager = managers.computeIfAbsent(device.name(),
        d -> NDManager.newBaseManager(device.device(), "PyTorch"));
    // The backbone's forward asks ONNX Runtime for the same device (it falls back to the CPU
    // with a warning where its build has no CUDA provider).
    OrtConfig forward = device.device().isGpu()
        ? new OrtConfig("cuda", device.device().getDeviceId(), ort.intraOpThreads(),
            ort.interOpThreads(), ort.lengthBucket(), ort.precision())
        : ort;
    try {
      backbone = masked ? OrtBertBackbone.open(dir, forward, sessions, manager, mode)
          : OrtCausalBackbone.open(dir, forward, sessions, manager);
    } catch (IOException e) {
      throw Status.FAILED_PRECONDITION.withDescription("cannot load model '" + model + "': "
          + e.getMessage()).withCause(e).asRuntimeException();
    }
    loaded.put(key, backbone);
    return backbone;
  }

  @Override
  public synchronized void close() {
    loaded.values().forEach(OrtBackbone::close);
    loaded.clear();
    sessions.close();
    managers.values().forEach(NDManager::close);
    managers.clear();
  }
}
