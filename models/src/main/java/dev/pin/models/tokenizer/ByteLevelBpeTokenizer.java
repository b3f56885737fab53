package dev.pin.models.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer (RoBERTa's) read from a HuggingFace {@code tokenizer.json} through
 * DJL's bundled tokenizers library, with the single-sentence frame {@code bos … eos} added here
 * (RoBERTa's {@code <s> x </s>}) so that every caller frames inputs the same way. Added tokens such
 * as {@code <mask>} are matched in the text with their {@code lstrip}/{@code rstrip} flags, as HF
 * does. Vocabulary lookups ({@link #id}, {@link #token}) come from the file's {@code model.vocab}
 * and {@code added_tokens}. Thread-safe; {@link #close} releases the native tokenizer.
 */
public final class ByteLevelBpeTokenizer implements TextTokenizer, AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final Map<String, Integer> ids;
  private final String[] tokens;
  private final int bos;
  private final int eos;

  private ByteLevelBpeTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> ids, int bos,
      int eos) {
    this.tokenizer = tokenizer;
    this.ids = ids;
    int max = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
    this.tokens = new String[max + 1];
    ids.forEach((t, i) -> tokens[i] = t);
    this.bos = bos;
    this.eos = eos;
  }

  /**
   * Opens {@code tokenizer.json}.
   *
   * @param bosToken the token framing the start of a sentence ({@code <s>})
   * @param eosToken the token framing its end ({@code </s>})
   */
  public static ByteLevelBpeTokenizer open(Path tokenizerJson, String bosToken, String eosToken)
      throws IOException {
    Map<String, Integer> vocab = readVocab(tokenizerJson);
    Integer bos = vocab.get(bosToken);
    Integer eos = vocab.get(eosToken);
    if (bos == null || eos == null) {
      throw new IOException(tokenizerJson + " lacks " + (bos == null ? bosToken : eosToken));
    }
    HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
        .optTokenizerPath(tokenizerJson)
        .optAddSpecialTokens(false)
        .optTruncation(false)
        .build();
    return new ByteLevelBpeTokenizer(hf, vocab, bos, eos);
  }

  /** {@code model.vocab} plus {@code added_tokens} of a tokenizer.json. */
  public static Map<String, Integer> readVocab(Path tokenizerJson) throws IOException {
    JsonObject root;
    try {
      root = JsonParser.parseString(Files.readString(tokenizerJson, StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IOException("malformed " + tokenizerJson + ": " + e.getMessage(), e);
    }
    JsonObject model = root.getAsJsonObject("model");
    if (model == null || !"BPE".equals(model.get("type").getAsString())) {
      throw new IOException(tokenizerJson + " is not a BPE tokenizer");
    }
    Map<String, Integer> vocab = new HashMap<>();
    for (Map.Entry<String, JsonElement> e : model.getAsJsonObject("vocab").entrySet()) {
      vocab.put(e.getKey(), e.getValue().getAsInt());
    }
    if (root.has("added_tokens") && root.get("added_tokens").isJsonArray()) {
      for (JsonElement e : root.getAsJsonArray("added_tokens")) {
        JsonObject t = e.getAsJsonObject();
        vocab.put(t.get("content").getAsString(), t.get("id").getAsInt());
      }
    }
    return vocab;
  }

  @Override
  public List<String> tokenize(String text) {
    // Spelled through the vocabulary: the library reports an lstrip added token by the text it
    // matched (" <mask>"), while callers look tokens up by their vocabulary entry ("<mask>").
    return Arrays.stream(ids(text)).mapToObj(this::token).toList();
  }

  @Override
  public int[] ids(String text) {
    Encoding enc = tokenizer.encode(text);
    return Arrays.stream(enc.getIds()).mapToInt(Math::toIntExact).toArray();
  }

  @Override
  public int[] encode(String text) {
    int[] body = ids(text);
    int[] out = new int[body.length + 2];
    out[0] = bos;
    System.arraycopy(body, 0, out, 1, body.length);
    out[out.length - 1] = eos;
    return out;
  }

  @Override
  public String decode(int[] tokenIds) {
    return tokenizer.decode(Arrays.stream(tokenIds).asLongStream().toArray(), true);
  }

  @Override
  public int id(String token) {
    Integer id = ids.get(token);
    return id == null ? -1 : id;
  }

  @Override
  public String token(int id) {
    if (id < 0 || id >= tokens.length || tokens[id] == null) {
      throw new IllegalArgumentException("no token with id " + id);
    }
    return tokens[id];
  }

  @Override
  public int vocabSize() {
    return tokens.length;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
