package dev.pin.reward.ort;

import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.ort.SequenceEncoder;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.reward.backend.TokenEmbedder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Contextual token embeddings of any BERT-family model for BERTScore (§6.2 Content): the hidden
 * states after encoder layer {@code layer} (0 = the final layer), from a graph cut at that layer
 * and built from the stored weights on first use (one ORT session per layer). Texts are framed as
 * the model frames a sentence; the framing and any other special tokens are flagged so BERTScore
 * skips them, as bert_score does. No baseline rescaling: bert_score's baseline files cannot be
 * fetched here, so Content is the raw F1 (see the README).
 */
final class OrtTokenEmbedder implements TokenEmbedder {
  private final String name;
  private final ModelDir model;
  private final OrtConfig ort;
  private final OrtSessions sessions;
  private final int maxBatch;
  private final Set<Integer> specialIds = new HashSet<>();
  private final Map<Integer, SequenceEncoder> byLayer = new ConcurrentHashMap<>();

  OrtTokenEmbedder(String name, ModelDir model, OrtConfig ort, OrtSessions sessions, int maxBatch) {
    this.name = name;
    this.model = model;
    this.ort = ort;
    this.sessions = sessions;
    this.maxBatch = maxBatch;
    for (ModelManifest.SpecialToken t : model.manifest().specialTokens().values()) {
      specialIds.add(t.id());
    }
  }

  @Override
  public String name() {
    return name;
  }

  private SequenceEncoder encoder(int layer) {
    int n = layer == 0 ? model.manifest().numLayers() : layer;
    return byLayer.computeIfAbsent(n, l -> {
      try {
        return SequenceEncoder.hiddenStates(model, l, ort, sessions);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot build layer " + l + " of " + name + ": "
            + e.getMessage(), e);
      }
    });
  }

  @Override
  public List<Embeddings> embed(List<String> texts, int layer) {
    SequenceEncoder enc = encoder(layer);
    int max = model.manifest().maxPositions();
    List<int[]> ids = new ArrayList<>(texts.size());
    for (String t : texts) {
      ids.add(EncoderBatches.truncate(enc.tokenizer().encode(t), max));
    }
    try {
      List<float[][]> vectors = EncoderBatches.run(ids, maxBatch,
          chunk -> Arrays.asList(enc.hiddenStates(chunk)));
      List<Embeddings> out = new ArrayList<>(texts.size());
      for (int i = 0; i < texts.size(); i++) {
        int[] seq = ids.get(i);
        boolean[] special = new boolean[seq.length];
        for (int t = 0; t < seq.length; t++) {
          special[t] = specialIds.contains(seq[t]);
        }
        out.add(new Embeddings(vectors.get(i), special));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("encoder " + name + " failed", e);
    }
  }
}
