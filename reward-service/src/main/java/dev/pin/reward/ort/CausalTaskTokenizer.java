package dev.pin.reward.ort;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pin.models.store.ModelDir;
import dev.pin.reward.backend.TaskTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A causal LM's byte-level BPE tokenizer (GPT-2, OPT) as the reward service sees it: HF's {@code
 * tokenizer.json} through DJL's tokenizers binding, without special tokens, with the leading-space
 * convention ({@code " great"} → {@code Ġgreat}). OPT's tokenizer starts every input with
 * {@code </s>}: {@link #specialTokenCount()} counts it, and {@link #modelInput} adds it.
 */
final class CausalTaskTokenizer implements TaskTokenizer, AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final Map<String, Integer> vocab;
  private final String[] tokens;
  private final int bos;
  private final int vocabSize;

  /**
   * Opens the tokenizer of {@code model}.
   *
   * @param bos the id to prepend to model inputs, or −1 for none
   */
  CausalTaskTokenizer(ModelDir model, int bos) throws IOException {
    Path file = model.dir().resolve(model.manifest().file("tokenizer"));
    this.tokenizer = model.huggingFaceTokenizer();
    this.vocab = readVocab(file);
    int size = Math.max(model.manifest().vocabSize(),
        vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1);
    this.tokens = new String[size];
    vocab.forEach((t, id) -> tokens[id] = t);
    this.bos = bos;
    this.vocabSize = model.manifest().vocabSize();
  }

  private static Map<String, Integer> readVocab(Path file) throws IOException {
    JsonObject root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
        .getAsJsonObject();
    Map<String, Integer> out = new HashMap<>();
    if (root.has("model") && root.getAsJsonObject("model").has("vocab")) {
      for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("model")
          .getAsJsonObject("vocab").entrySet()) {
        out.put(e.getKey(), e.getValue().getAsInt());
      }
    }
    if (root.has("added_tokens")) {
      for (JsonElement e : root.getAsJsonArray("added_tokens")) {
        JsonObject t = e.getAsJsonObject();
        out.put(t.get("content").getAsString(), t.get("id").getAsInt());
      }
    }
    return out;
  }

  @Override
  public List<String> tokenize(String text) {
    return Arrays.asList(tokenizer.encode(text, false, false).getTokens());
  }

  @Override
  public int[] encode(String text) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = (int) ids[i];
    }
    return out;
  }

  /** {@link #encode} with the model's BOS in front when its tokenizer adds one (OPT). */
  int[] modelInput(String text) {
    return modelInput(encode(text));
  }

  /** Token ids with the model's BOS in front when its tokenizer adds one (OPT). */
  int[] modelInput(int[] ids) {
    if (bos < 0) {
      return ids;
    }
    int[] out = new int[ids.length + 1];
    out[0] = bos;
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }

  @Override
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return tokenizer.decode(l, true);
  }

  @Override
  public OptionalInt tokenToId(String token) {
    Integer id = vocab.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  /** The vocabulary spelling of {@code id} (e.g. {@code Ġgreat}), or null for a gap. */
  String token(int id) {
    return id >= 0 && id < tokens.length ? tokens[id] : null;
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public Optional<String> maskToken() {
    return Optional.empty();
  }

  @Override
  public int specialTokenCount() {
    return bos < 0 ? 0 : 1;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
