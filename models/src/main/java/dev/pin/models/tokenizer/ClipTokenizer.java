package dev.pin.models.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CLIP's tokenizer from a HuggingFace {@code tokenizer.json}, run by DJL's bundled
 * {@code tokenizers} native library (offline). CLIP's {@code tokenizer.json} carries the whole
 * recipe: the normalizer (NFC, every whitespace run → one space, lowercase), the pre-tokenizer
 * (CLIP's regex {@code 's|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+} keeping the matches,
 * then byte-level symbols without the regex) and byte-level BPE whose word-final symbols carry
 * {@code </w>}. This class adds the part HF does in code: {@code <|startoftext|>} … 
 * {@code <|endoftext|>} around at most {@code contextLength − 2} tokens (CLIP's context is 77).
 * Thread-safe.
 */
public final class ClipTokenizer implements AutoCloseable {
  public static final String START_OF_TEXT = "<|startoftext|>";
  public static final String END_OF_TEXT = "<|endoftext|>";
  public static final String END_OF_WORD = "</w>";
  /** CLIP's text context, {@code max_position_embeddings}. */
  public static final int CONTEXT_LENGTH = 77;
  /**
   * CLIP's split pattern as HF's {@code CLIPConverter} writes it into {@code tokenizer.json}
   * (OpenAI's pattern without the special-token alternatives, which the added tokens cover).
   */
  public static final String SPLIT_PATTERN =
      "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

  private final HuggingFaceTokenizer hf;
  private final int startId;
  private final int endId;
  private final int contextLength;

  private ClipTokenizer(HuggingFaceTokenizer hf, int startId, int endId, int contextLength) {
    this.hf = hf;
    this.startId = startId;
    this.endId = endId;
    this.contextLength = contextLength;
  }

  /**
   * Loads {@code tokenizerJson}.
   *
   * @param startId id of {@code <|startoftext|>}
   * @param endId id of {@code <|endoftext|>}
   * @param contextLength longest encoding, specials included (77)
   */
  public static ClipTokenizer open(Path tokenizerJson, int startId, int endId, int contextLength)
      throws IOException {
    if (contextLength < 3) {
      throw new IllegalArgumentException("context length must be >= 3, got " + contextLength);
    }
    HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
        .optTokenizerPath(tokenizerJson)
        .optAddSpecialTokens(false)
        .optTruncation(false)
        .optPadding(false)
        .optMaxLength(Integer.MAX_VALUE / 2)
        .build();
    return new ClipTokenizer(hf, startId, endId, contextLength);
  }

  /** Id of {@code <|startoftext|>}. */
  public int startId() {
    return startId;
  }

  /** Id of {@code <|endoftext|>}. */
  public int endId() {
    return endId;
  }

  /** Longest encoding. */
  public int contextLength() {
    return contextLength;
  }

  /**
   * {@code <|startoftext|>} + the text's BPE ids, cut to {@code contextLength − 2} (HF's
   * truncation keeps the specials) + {@code <|endoftext|>}.
   */
  public int[] encode(String text) {
    long[] body = hf.encode(text, false, false).getIds();
    int n = Math.min(body.length, contextLength - 2);
    int[] out = new int[n + 2];
    out[0] = startId;
    for (int i = 0; i < n; i++) {
      out[i + 1] = Math.toIntExact(body[i]);
    }
    out[n + 1] = endId;
    return out;
  }

  /** The BPE tokens of {@code text}, without specials (e.g. {@code [a</w>, photo</w>]}). */
  public List<String> tokens(String text) {
    Encoding e = hf.encode(text, false, false);
    return List.of(e.getTokens());
  }

  /**
   * Decoded text of {@code ids}, specials dropped: byte-level decoding, then each {@code </w>}
   * becomes a space and the ends are stripped, as HF's {@code CLIPTokenizerFast.decode} does.
   */
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return hf.decode(l, true).replace(END_OF_WORD, " ").strip();
  }

  @Override
  public void close() {
    hf.close();
  }

  /**
   * The vocabulary CLIP's BPE is built on, in OpenAI's order: the 256 byte symbols in
   * {@code bytes_to_unicode} order, the same with {@code </w>}, then one token per merge, then
   * {@code <|startoftext|>} and {@code <|endoftext|>} (so {@code a</w>} is 320 as in the real
   * vocabulary of 49 408).
   */
  public static Map<String, Integer> vocab(List<String> merges) {
    List<String> symbols = ByteLevelBpe.byteSymbols();
    List<String> ordered = new ArrayList<>(256);
    boolean[] printable = new boolean[256];
    for (int b = 0; b < 256; b++) {
      printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    }
    for (int b = 0; b < 256; b++) {
      if (printable[b]) {
        ordered.add(symbols.get(b));
      }
    }
    for (int b = 0; b < 256; b++) {
      if (!printable[b]) {
        ordered.add(symbols.get(b));
      }
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String s : ordered) {
      vocab.put(s, vocab.size());
    }
    for (String s : ordered) {
      vocab.put(s + END_OF_WORD, vocab.size());
    }
    for (String m : merges) {
      String[] pair = m.split(" ");
      if (pair.length != 2 || !vocab.containsKey(pair[0]) || !vocab.containsKey(pair[1])) {
        throw new IllegalArgumentException("merge '" + m + "' needs two known symbols");
      }
      vocab.putIfAbsent(pair[0] + pair[1], vocab.size());
    }
    vocab.put(START_OF_TEXT, vocab.size());
    vocab.put(END_OF_TEXT, vocab.size());
    return vocab;
  }

  /**
   * Writes a {@code tokenizer.json} in the layout HF saves for CLIP (normalizer, split regex,
   * byte-level, {@code </w>} BPE, RobertaProcessing post-processor, the two added specials) over
   * {@link #vocab(List) vocab(merges)}; the tiny CLIP of the tests uses it.
   */
  public static void writeTokenizerJson(Path file, List<String> merges) throws IOException {
    Map<String, Integer> vocab = vocab(merges);
    int start = vocab.get(START_OF_TEXT);
    int end = vocab.get(END_OF_TEXT);
    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", null);
    root.add("padding", null);
    JsonArray added = new JsonArray();
    added.add(addedToken(start, START_OF_TEXT));
    added.add(addedToken(end, END_OF_TEXT));
    root.add("added_tokens", added);

    JsonArray norms = new JsonArray();
    norms.add(type("NFC"));
    JsonObject ws = type("Replace");
    ws.add("pattern", regex("\\s+"));
    ws.addProperty("content", " ");
    norms.add(ws);
    norms.add(type("Lowercase"));
    JsonObject normalizer = type("Sequence");
    normalizer.add("normalizers", norms);
    root.add("normalizer", normalizer);

    JsonObject split = type("Split");
    split.add("pattern", regex(SPLIT_PATTERN));
    split.addProperty("behavior", "Removed");
    split.addProperty("invert", true);
    JsonObject byteLevel = type("ByteLevel");
    byteLevel.addProperty("add_prefix_space", false);
    byteLevel.addProperty("trim_offsets", true);
    byteLevel.addProperty("use_regex", false);
    JsonArray pres = new JsonArray();
    pres.add(split);
    pres.add(byteLevel);
    JsonObject pre = type("Sequence");
    pre.add("pretokenizers", pres);
    root.add("pre_tokenizer", pre);

    JsonObject post = type("RobertaProcessing");
    JsonArray sep = new JsonArray();
    sep.add(END_OF_TEXT);
    sep.add(end);
    JsonArray cls = new JsonArray();
    cls.add(START_OF_TEXT);
    cls.add(start);
    post.add("sep", sep);
    post.add("cls", cls);
    post.addProperty("trim_offsets", false);
    post.addProperty("add_prefix_space", false);
    root.add("post_processor", post);
    JsonObject decoder = type("ByteLevel");
    decoder.addProperty("add_prefix_space", true);
    decoder.addProperty("trim_offsets", true);
    decoder.addProperty("use_regex", true);
    root.add("decoder", decoder);

    JsonObject model = type("BPE");
    model.add("dropout", null);
    model.addProperty("unk_token", END_OF_TEXT);
    model.addProperty("continuing_subword_prefix", "");
    model.addProperty("end_of_word_suffix", END_OF_WORD);
    model.addProperty("fuse_unk", false);
    model.addProperty("byte_fallback", false);
    JsonObject v = new JsonObject();
    vocab.forEach(v::addProperty);
    model.add("vocab", v);
    JsonArray m = new JsonArray();
    merges.forEach(m::add);
    model.add("merges", m);
    root.add("model", model);
    Files.writeString(file, new GsonBuilder().serializeNulls().disableHtmlEscaping().create()
        .toJson(root), StandardCharsets.UTF_8);
  }

  private static JsonObject addedToken(int id, String content) {
    JsonObject t = new JsonObject();
    t.addProperty("id", id);
    t.addProperty("content", content);
    t.addProperty("single_word", false);
    t.addProperty("lstrip", false);
    t.addProperty("rstrip", false);
    t.addProperty("normalized", true);
    t.addProperty("special", true);
    return t;
  }

  private static JsonObject type(String name) {
    JsonObject o = new JsonObject();
    o.addProperty("type", name);
    return o;
  }

  private static JsonObject regex(String pattern) {
    JsonObject o = new JsonObject();
    o.addProperty("Regex", pattern);
    return o;
  }
}
