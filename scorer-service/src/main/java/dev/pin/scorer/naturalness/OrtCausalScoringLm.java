package dev.pin.scorer.naturalness;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pin.models.ort.CausalLm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link CausalScoringLm} over the platform's ONNX Runtime GPT-2 or OPT ({@link CausalLm}) and the
 * model's HuggingFace {@code tokenizer.json} (DJL's tokenizers, offline). The vocabulary spelling
 * of each id is read from the same {@code tokenizer.json}, since DJL exposes no id-to-token call.
 * Owns the tokenizer: {@link #close()} releases its native handle.
 */
public final class OrtCausalScoringLm implements CausalScoringLm, AutoCloseable {
  private final CausalLm lm;
  private final HuggingFaceTokenizer tokenizer;
  private final String[] vocab;
  private final Set<Integer> specials;
  private final int bos;

  /** Wraps an open causal LM, opening its tokenizer. */
  public OrtCausalScoringLm(CausalLm lm) throws IOException {
    this.lm = lm;
    this.bos = lm.manifest().specialId("bos");
    Path json = lm.model().dir().resolve(lm.manifest().file("tokenizer"));
    this.vocab = new String[lm.manifest().vocabSize()];
    this.specials = new HashSet<>();
    readVocab(json, vocab, specials);
    for (var s : lm.manifest().specialTokens().values()) {
      specials.add(s.id());
    }
    this.tokenizer = lm.model().huggingFaceTokenizer();
  }

  private static void readVocab(Path json, String[] vocab, Set<Integer> specials)
      throws IOException {
    JsonObject root = JsonParser.parseString(Files.readString(json, StandardCharsets.UTF_8))
        .getAsJsonObject();
    for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("model")
        .getAsJsonObject("vocab").entrySet()) {
      int id = e.getValue().getAsInt();
      if (id >= 0 && id < vocab.length) {
        vocab[id] = e.getKey();
      }
    }
    if (root.has("added_tokens") && root.get("added_tokens").isJsonArray()) {
      for (JsonElement t : root.getAsJsonArray("added_tokens")) {
        JsonObject o = t.getAsJsonObject();
        int id = o.get("id").getAsInt();
        if (id >= 0 && id < vocab.length) {
          vocab[id] = o.get("content").getAsString();
          if (o.has("special") && o.get("special").getAsBoolean()) {
            specials.add(id);
          }
        }
      }
    }
  }

  @Override
  public String name() {
    return lm.model().name();
  }

  @Override
  public int vocabSize() {
    return vocab.length;
  }

  @Override
  public int maxPositions() {
    return lm.manifest().maxPositions();
  }

  @Override
  public int bosId() {
    return bos;
  }

  @Override
  public boolean isSpecial(int id) {
    return specials.contains(id);
  }

  @Override
  public int[] ids(String text) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  @Override
  public String token(int id) {
    String t = id >= 0 && id < vocab.length ? vocab[id] : null;
    return t == null ? "<id " + id + ">" : t;
  }

  @Override
  public String decode(int id) {
    return tokenizer.decode(new long[] {id}, false);
  }

  @Override
  public float[][][] logits(List<int[]> sequences) throws IOException {
    return lm.logits(sequences);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
