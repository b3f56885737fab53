package dev.pin.models.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT WordPiece tokenizer over a {@code vocab.txt} (one token per line, id = line number).
 *
 * <p>The text is tokenized by HuggingFace's tokenizers library (DJL's binding, native and
 * bundled) from a {@code tokenizer.json} description generated from the vocabulary: BertNormalizer
 * (clean, CJK split, lower-case and strip accents for uncased models), BertPreTokenizer and
 * WordPiece, exactly Google's BasicTokenizer + WordpieceTokenizer. Special tokens written literally
 * in the text (e.g. {@code [MASK]}) are kept whole, as the HuggingFace pipeline does. Immutable and
 * thread-safe (the native tokenizer is read-only after construction).
 */
public final class WordPieceTokenizer implements TextTokenizer {
  /** Longest word WordPiece attempts before giving up with {@code [UNK]} (Google's value). */
  static final int MAX_CHARS_PER_WORD = 100;

  private final List<String> vocab;
  private final Map<String, Integer> ids;
  private final boolean lowerCase;
  private final List<String> specials;
  private final HuggingFaceTokenizer hf;
  private final String unk;
  private final String cls;
  private final String sep;

  /**
   * Creates a tokenizer.
   *
   * @param vocab tokens in id order
   * @param lowerCase whether to lower-case and strip accents (uncased models)
   * @param specials special tokens kept whole when they appear in text (e.g. [CLS], [MASK]);
   *     {@code [UNK]}, {@code [CLS]} and {@code [SEP]} must be in the vocabulary
   */
  public WordPieceTokenizer(List<String> vocab, boolean lowerCase, List<String> specials) {
    this.vocab = List.copyOf(vocab);
    Map<String, Integer> m = new HashMap<>(vocab.size() * 2);
    for (int i = 0; i < vocab.size(); i++) {
      m.putIfAbsent(vocab.get(i), i);
    }
    this.ids = Collections.unmodifiableMap(m);
    this.lowerCase = lowerCase;
    this.specials = List.copyOf(specials);
    for (String s : specials) {
      if (!m.containsKey(s)) {
        throw new IllegalArgumentException("special token " + s + " is not in the vocabulary");
      }
    }
    this.unk = "[UNK]";
    this.cls = "[CLS]";
    this.sep = "[SEP]";
    for (String s : List.of(unk, cls, sep)) {
      if (!m.containsKey(s)) {
        throw new IllegalArgumentException("vocabulary lacks " + s);
      }
    }
    try {
      // maxLength 512 is what DJL picks anyway (BERT's positions); saying so spares every
      // service and `pin fill-mask` a warning that it was not specified.
      this.hf = HuggingFaceTokenizer.newInstance(
          new ByteArrayInputStream(huggingFaceJson().getBytes(StandardCharsets.UTF_8)),
          Map.of("maxLength", "512"));
    } catch (IOException e) {
      throw new UncheckedIOException("the generated tokenizer.json was not read", e);
    }
  }

  /** Reads {@code vocab.txt} (UTF-8, one token per line). */
  public static WordPieceTokenizer fromVocab(Path vocabTxt, boolean lowerCase,
      List<String> specials) throws IOException {
    List<String> lines = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
    // A trailing empty line is the file's final newline, not a token.
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return new WordPieceTokenizer(lines, lowerCase, specials);
  }

  /** Vocabulary size. */
  public int vocabSize() {
    return vocab.size();
  }

  /** The token for {@code id}. */
  public String token(int id) {
    return vocab.get(id);
  }

  /** The id of {@code token}, or -1 when it is not in the vocabulary. */
  public int id(String token) {
    return ids.getOrDefault(token, -1);
  }

  /** Whether uncased normalisation is applied. */
  public boolean lowerCase() {
    return lowerCase;
  }

  /** Tokens in vocabulary order. */
  public List<String> vocab() {
    return vocab;
  }

  /** WordPiece tokens of {@code text}, without [CLS]/[SEP]. */
  public List<String> tokenize(String text) {
    return List.of(hf.encode(text, false, false).getTokens());
  }

  /** Ids of {@code text}'s tokens, without [CLS]/[SEP]. */
  public int[] ids(String text) {
    long[] ids = hf.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) ids[i];
    }
    return out;
  }

  /** {@code [CLS] text [SEP]} as ids, the single-sentence input of BERT. */
  public int[] encode(String text) {
    int[] body = ids(text);
    int[] out = new int[body.length + 2];
    out[0] = ids.get(cls);
    System.arraycopy(body, 0, out, 1, body.length);
    out[out.length - 1] = ids.get(sep);
    return out;
  }

  /** Joins tokens back into text, merging {@code ##} continuations. */
  public String decode(int[] tokenIds) {
    StringBuilder sb = new StringBuilder();
    for (int id : tokenIds) {
      String t = vocab.get(id);
      if (t.startsWith("##")) {
        sb.append(t, 2, t.length());
      } else {
        if (sb.length() > 0) {
          sb.append(' ');
        }
        sb.append(t);
      }
    }
    return sb.toString();
  }

  /**
   * Writes the HuggingFace {@code tokenizer.json} this tokenizer runs (BertNormalizer,
   * BertPreTokenizer, WordPiece model, [CLS] … [SEP] template), for tools that load tokenizers
   * that way.
   */
  public void writeHuggingFaceJson(Path file) throws IOException {
    Files.writeString(file, huggingFaceJson(), StandardCharsets.UTF_8);
  }

  private String huggingFaceJson() {
    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", null);
    root.add("padding", null);
    JsonArray added = new JsonArray();
    for (String s : specials) {
      JsonObject t = new JsonObject();
      t.addProperty("id", ids.get(s));
      t.addProperty("content", s);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", false);
      t.addProperty("special", true);
      added.add(t);
    }
    root.add("added_tokens", added);
    JsonObject normalizer = new JsonObject();
    normalizer.addProperty("type", "BertNormalizer");
    normalizer.addProperty("clean_text", true);
    normalizer.addProperty("handle_chinese_chars", true);
    normalizer.add("strip_accents", null);
    normalizer.addProperty("lowercase", lowerCase);
    root.add("normalizer", normalizer);
    JsonObject pre = new JsonObject();
    pre.addProperty("type", "BertPreTokenizer");
    root.add("pre_tokenizer", pre);
    JsonObject post = new JsonObject();
    post.addProperty("type", "TemplateProcessing");
    post.add("single", template(false));
    post.add("pair", template(true));
    JsonObject sp = new JsonObject();
    for (String s : List.of(cls, sep)) {
      JsonObject e = new JsonObject();
      e.addProperty("id", s);
      JsonArray idArr = new JsonArray();
      idArr.add(ids.get(s));
      e.add("ids", idArr);
      JsonArray tokArr = new JsonArray();
      tokArr.add(s);
      e.add("tokens", tokArr);
      sp.add(s, e);
    }
    post.add("special_tokens", sp);
    root.add("post_processor", post);
    JsonObject decoder = new JsonObject();
    decoder.addProperty("type", "WordPiece");
    decoder.addProperty("prefix", "##");
    decoder.addProperty("cleanup", true);
    root.add("decoder", decoder);
    JsonObject model = new JsonObject();
    model.addProperty("type", "WordPiece");
    model.addProperty("unk_token", unk);
    model.addProperty("continuing_subword_prefix", "##");
    model.addProperty("max_input_chars_per_word", MAX_CHARS_PER_WORD);
    JsonObject v = new JsonObject();
    for (int i = 0; i < vocab.size(); i++) {
      if (!v.has(vocab.get(i))) {
        v.addProperty(vocab.get(i), i);
      }
    }
    model.add("vocab", v);
    root.add("model", model);
    return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(root);
  }

  private JsonArray template(boolean pair) {
    JsonArray a = new JsonArray();
    a.add(special(cls, 0));
    a.add(sequence("A", 0));
    a.add(special(sep, 0));
    if (pair) {
      a.add(sequence("B", 1));
      a.add(special(sep, 1));
    }
    return a;
  }

  private static JsonObject special(String id, int typeId) {
    JsonObject inner = new JsonObject();
    inner.addProperty("id", id);
    inner.addProperty("type_id", typeId);
    JsonObject o = new JsonObject();
    o.add("SpecialToken", inner);
    return o;
  }

  private static JsonObject sequence(String id, int typeId) {
    JsonObject inner = new JsonObject();
    inner.addProperty("id", id);
    inner.addProperty("type_id", typeId);
    JsonObject o = new JsonObject();
    o.add("Sequence", inner);
    return o;
  }
}
