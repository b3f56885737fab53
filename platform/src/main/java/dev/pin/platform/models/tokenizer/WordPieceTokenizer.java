package dev.pin.platform.models.tokenizer;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BERT WordPiece tokenizer over a {@code vocab.txt} (one token per line, id = line number).
 *
 * <p>Special tokens written literally in the text (e.g. {@code [MASK]}) are kept whole, as the
 * HuggingFace pipeline does. Immutable and thread-safe.
 */
public final class WordPieceTokenizer implements TextTokenizer {
  /** Longest word WordPiece attempts before giving up with {@code [UNK]} (Google's value). */
  static final int MAX_CHARS_PER_WORD = 100;

  private final List<String> vocab;
  private final Map<String, Integer> ids;
  private final boolean lowerCase;
  private final List<String> specials;
  private final Pattern specialPattern;
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
    StringBuilder alt = new StringBuilder();
    for (String s : specials) {
      if (!m.containsKey(s)) {
        throw new IllegalArgumentException("special token " + s + " is not in the vocabulary");
      }
      alt.append(alt.length() == 0 ? "" : "|").append(Pattern.quote(s));
    }
    this.specialPattern = alt.length() == 0 ? null : Pattern.compile(alt.toString());
    this.unk = "[UNK]";
    this.cls = "[CLS]";
    this.sep = "[SEP]";
    for (String s : List.of(unk, cls, sep)) {
      if (!m.containsKey(s)) {
        throw new IllegalArgumentException("vocabulary lacks " + s);
      }
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
    List<String> out = new ArrayList<>();
    if (specialPattern == null) {
      tokenizePlain(text, out);
      return out;
    }
    Matcher m = specialPattern.matcher(text);
    int last = 0;
    while (m.find()) {
      tokenizePlain(text.substring(last, m.start()), out);
      out.add(m.group());
      last = m.end();
    }
    tokenizePlain(text.substring(last), out);
    return out;
  }

  /** Ids of {@code text}'s tokens, without [CLS]/[SEP]. */
  public int[] ids(String text) {
    List<String> tokens = tokenize(text);
    int[] out = new int[tokens.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ids.get(tokens.get(i));
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

  private void tokenizePlain(String text, List<String> out) {
    for (String word : basicTokenize(text)) {
      wordPiece(word, out);
    }
  }

  /** Google's BasicTokenizer: clean, split CJK, whitespace split, normalise, split punctuation. */
  List<String> basicTokenize(String text) {
    StringBuilder cleaned = new StringBuilder(text.length());
    text.codePoints().forEach(cp -> {
      if (cp == 0 || cp == 0xfffd || isControl(cp)) {
        return;
      }
      if (isWhitespace(cp)) {
        cleaned.append(' ');
      } else if (isCjk(cp)) {
        cleaned.append(' ').appendCodePoint(cp).append(' ');
      } else {
        cleaned.appendCodePoint(cp);
      }
    });
    List<String> out = new ArrayList<>();
    for (String word : cleaned.toString().trim().split(" +")) {
      if (word.isEmpty()) {
        continue;
      }
      if (lowerCase) {
        word = stripAccents(word.toLowerCase(java.util.Locale.ROOT));
      }
      StringBuilder cur = new StringBuilder();
      int[] cps = word.codePoints().toArray();
      for (int cp : cps) {
        if (isPunctuation(cp)) {
          if (cur.length() > 0) {
            out.add(cur.toString());
            cur.setLength(0);
          }
          out.add(new String(Character.toChars(cp)));
        } else {
          cur.appendCodePoint(cp);
        }
      }
      if (cur.length() > 0) {
        out.add(cur.toString());
      }
    }
    return out;
  }

  /** Greedy longest-match-first WordPiece. */
  private void wordPiece(String word, List<String> out) {
    int[] cps = word.codePoints().toArray();
    if (cps.length > MAX_CHARS_PER_WORD) {
      out.add(unk);
      return;
    }
    List<String> pieces = new ArrayList<>();
    int start = 0;
    while (start < cps.length) {
      int end = cps.length;
      String found = null;
      while (start < end) {
        String sub = new String(cps, start, end - start);
        if (start > 0) {
          sub = "##" + sub;
        }
        if (ids.containsKey(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found == null) {
        out.add(unk);
        return;
      }
      pieces.add(found);
      start = end;
    }
    out.addAll(pieces);
  }

  private static String stripAccents(String s) {
    String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
    StringBuilder sb = new StringBuilder(nfd.length());
    nfd.codePoints().forEach(cp -> {
      if (Character.getType(cp) != Character.NON_SPACING_MARK) {
        sb.appendCodePoint(cp);
      }
    });
    return sb.toString();
  }

  private static boolean isWhitespace(int cp) {
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r'
        || Character.getType(cp) == Character.SPACE_SEPARATOR;
  }

  private static boolean isControl(int cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      return false;
    }
    int t = Character.getType(cp);
    return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE
        || t == Character.SURROGATE;
  }

  private static boolean isPunctuation(int cp) {
    // ASCII symbols count as punctuation in BERT even where Unicode says "symbol" ($, +, ^ ...).
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)
        || (cp >= 123 && cp <= 126)) {
      return true;
    }
    int t = Character.getType(cp);
    return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION
        || t == Character.START_PUNCTUATION || t == Character.END_PUNCTUATION
        || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
        || t == Character.OTHER_PUNCTUATION;
  }

  private static boolean isCjk(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }

  /**
   * Writes the equivalent HuggingFace {@code tokenizer.json} (BertNormalizer, BertPreTokenizer,
   * WordPiece model, [CLS] … [SEP] template), for tools that load tokenizers that way.
   */
  public void writeHuggingFaceJson(Path file) throws IOException {
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
    Files.writeString(file, new GsonBuilder().serializeNulls().disableHtmlEscaping().create()
        .toJson(root), StandardCharsets.UTF_8);
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
