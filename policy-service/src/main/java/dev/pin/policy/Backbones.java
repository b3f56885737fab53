package dev.pin.policy;

import ai.djl.ndarray.NDManager;
import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.policy.ort.OrtBackbone;
import dev.pin.policy.ort.OrtBertBackbone;
import dev.pin.policy.ort.OrtCausalBackbone;
import dev.pin.policy.torch.TorchClipText;
import dev.pin.policy.torch.TorchMaskedLm;
import dev.pin.v1.MaskedHead;
import io.grpc.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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

  /**
   * What PEZ (§7.1) needs of its task model: the model on PyTorch, differentiable w.r.t. its
   * input embeddings, with its tokenizer, manifest, special token ids (no prompt token is one)
   * and the device's manager.
   */
  record WhiteBox(TorchMaskedLm lm, TextTokenizer tokenizer, ModelManifest manifest,
      int[] specialIds, NDManager manager) {}

  private final Map<String, WhiteBox> whiteBoxes = new HashMap<>();

  /**
   * What PEZ's image inversion (§7.1) needs of a CLIP: its text tower on PyTorch, differentiable
   * w.r.t. its input embeddings; the whole model on ONNX Runtime ({@code encoder}), whose vision
   * tower embeds the target images and whose tokenizer spells the prompts; the special token ids
   * (no prompt token is one) and the device's manager.
   */
  record ClipBox(TorchClipText text, ClipEncoder encoder, int[] specialIds, NDManager manager) {}

  private final Map<String, ClipBox> clips = new HashMap<>();
  private final Map<String, TextTokenizer> tokenizers = new HashMap<>();

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
    ModelDir dir = find(field, model);
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
    ModelDir dir = find("backbone", model);
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

  /**
   * The manifest of a model PEZ would differentiate through, without loading it:
   * FAILED_PRECONDITION naming {@code field} when it is missing, INVALID_ARGUMENT when it has no
   * gradient path here (only BERT and RoBERTa masked LMs are rebuilt on PyTorch).
   */
  ModelManifest whiteBoxManifest(String field, String model) {
    return whiteBoxManifest(field, model, "PEZ (§7.1)");
  }

  /** {@link #whiteBoxManifest(String, String)} with the method named in the refusal. */
  ModelManifest whiteBoxManifest(String field, String model, String method) {
    ModelDir dir = find(field, model);
    String architecture = dir.manifest().architecture();
    if (!ModelManifest.ARCH_BERT_MLM.equals(architecture)
        && !ModelManifest.ARCH_ROBERTA_MLM.equals(architecture)) {
      throw Status.INVALID_ARGUMENT.withDescription(field + ": " + method + " needs gradients "
          + "through the task model, and '" + model + "' is a " + architecture + ", which this "
          + "policy service only runs forward; PEZ and soft prompts differentiate masked LMs "
          + "(bert-mlm, roberta-mlm), rebuilt on PyTorch from their ONNX weights")
          .asRuntimeException();
    }
    return dir.manifest();
  }

  /**
   * The manifest of the CLIP PEZ would invert images with, without loading it:
   * FAILED_PRECONDITION naming {@code field} when it is missing, INVALID_ARGUMENT when it is no
   * CLIP.
   */
  ModelManifest clipManifest(String field, String model, String method) {
    ModelDir dir = find(field, model);
    String architecture = dir.manifest().architecture();
    if (!ModelManifest.ARCH_CLIP.equals(architecture)) {
      throw Status.INVALID_ARGUMENT.withDescription(field + ": " + method + " inverts images "
          + "through a CLIP's text tower, and '" + model + "' is a " + architecture + ", not a "
          + ModelManifest.ARCH_CLIP).asRuntimeException();
    }
    return dir.manifest();
  }

  /**
   * {@code model} (a CLIP) for PEZ's image inversion on {@code device}, loaded on first use (the
   * text tower in float32 from its ONNX graph's weights, the ONNX Runtime sessions) and shared by
   * every run on it: it is frozen.
   */
  synchronized ClipBox clip(String model, PolicyDevice device) {
    ModelManifest manifest = clipManifest("backbone", model, "PEZ (§7.1)");
    String key = model + "@" + device.name();
    ClipBox box = clips.get(key);
    if (box != null) {
      return box;
    }
    NDManager manager = managers.computeIfAbsent(device.name(),
        d -> NDManager.newBaseManager(device.device(), "PyTorch"));
    ModelDir dir = find("backbone", model);
    TorchClipText text = null;
    try {
      text = TorchClipText.load(dir, manager);
      // The targets are embedded once per run, so the vision tower runs on the CPU settings.
      ClipEncoder encoder = ClipEncoder.open(dir, ort, sessions);
      List<Integer> specials = new ArrayList<>();
      manifest.specialTokens().values().forEach(t -> specials.add(t.id()));
      box = new ClipBox(text, encoder, specials.stream().distinct().mapToInt(Integer::intValue)
          .toArray(), manager);
    } catch (IOException | RuntimeException e) {
      if (text != null) {
        text.close();
      }
      throw Status.FAILED_PRECONDITION.withDescription("cannot load model '" + model + "': "
          + e.getMessage()).withCause(e).asRuntimeException();
    }
    clips.put(key, box);
    return box;
  }

  /** The tokenizer of a white-box model, without loading its weights (for checks). */
  synchronized TextTokenizer tokenizer(String model) {
    return tokenizers.computeIfAbsent(model, m -> {
      try {
        return find("backbone", m).textTokenizer();
      } catch (IOException e) {
        throw Status.FAILED_PRECONDITION.withDescription("cannot read the tokenizer of model '"
            + m + "': " + e.getMessage()).withCause(e).asRuntimeException();
      }
    });
  }

  /**
   * {@code model} as PEZ's differentiable task model on {@code device}, loaded (float32, from
   * its ONNX graph's weights) on first use and shared by every PEZ run on it: it is frozen.
   */
  synchronized WhiteBox whiteBox(String model, PolicyDevice device) {
    ModelManifest manifest = whiteBoxManifest("backbone", model);
    String key = model + "@" + device.name();
    WhiteBox box = whiteBoxes.get(key);
    if (box != null) {
      return box;
    }
    NDManager manager = managers.computeIfAbsent(device.name(),
        d -> NDManager.newBaseManager(device.device(), "PyTorch"));
    TextTokenizer tokenizer = tokenizer(model);
    TorchMaskedLm lm;
    try {
      lm = TorchMaskedLm.load(find("backbone", model), manager);
    } catch (IOException e) {
      throw Status.FAILED_PRECONDITION.withDescription("cannot load model '" + model + "': "
          + e.getMessage()).withCause(e).asRuntimeException();
    }
    box = new WhiteBox(lm, tokenizer, manifest, specialIds(manifest, tokenizer), manager);
    whiteBoxes.put(key, box);
    return box;
  }

  /** The manifest's special tokens and every bracketed entry ({@code [unused0]} …, §2). */
  private static int[] specialIds(ModelManifest manifest, TextTokenizer tokenizer) {
    List<Integer> ids = new ArrayList<>();
    manifest.specialTokens().values().forEach(t -> ids.add(t.id()));
    for (int id = 0; id < tokenizer.vocabSize(); id++) {
      String token = tokenizer.token(id);
      if (token != null && token.length() > 2 && token.startsWith("[") && token.endsWith("]")) {
        ids.add(id);
      }
    }
    return ids.stream().distinct().mapToInt(Integer::intValue).toArray();
  }

  /**
   * The model's directory: INVALID_ARGUMENT naming {@code field.name} for a name that cannot be
   * a folder of the store, FAILED_PRECONDITION naming {@code field} when it is not there.
   */
  private ModelDir find(String field, String model) {
    java.util.Optional<ModelDir> dir;
    try {
      dir = store.find(model);
    } catch (dev.pin.models.store.InvalidModelNameException e) {
      throw Status.INVALID_ARGUMENT.withDescription(field + ".name: " + e.getMessage())
          .asRuntimeException();
    }
    return dir.orElseThrow(() -> Status.FAILED_PRECONDITION
        .withDescription(field + ": model '" + model + "' is not in the model store at "
            + store.home() + "; import it (" + ModelStore.importHint(model) + ") or pick one from "
            + "`pin models list`")
        .asRuntimeException());
  }

  @Override
  public synchronized void close() {
    loaded.values().forEach(OrtBackbone::close);
    loaded.clear();
    whiteBoxes.values().forEach(b -> b.lm().close());
    whiteBoxes.clear();
    clips.values().forEach(b -> {
      b.text().close();
      b.encoder().close();
    });
    clips.clear();
    sessions.close();
    managers.values().forEach(NDManager::close);
    managers.clear();
  }
}
