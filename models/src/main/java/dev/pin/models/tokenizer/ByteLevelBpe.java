package dev.pin.models.tokenizer;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2's byte-level BPE conventions: the byte → printable-character table and a
 * {@code tokenizer.json} writer for byte vocabularies (used by the tiny GPT-2 of the tests; real
 * GPT-2 tokenizers are brought as {@code tokenizer.json}).
 */
public final class ByteLevelBpe {
  public static final String END_OF_TEXT = "<|endoftext|>";

  private ByteLevelBpe() {}

  /** GPT-2's {@code bytes_to_unicode}: printable characters for the 256 byte values, in order. */
  public static List<String> byteSymbols() {
    List<Integer> bs = new ArrayList<>();
    for (int b = '!'; b <= '~'; b++) {
      bs.add(b);
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      bs.add(b);
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      bs.add(b);
    }
    String[] symbols = new String[256];
    for (int b : bs) {
      symbols[b] = new String(Character.toChars(b));
    }
    int n = 0;
    for (int b = 0; b < 256; b++) {
      if (symbols[b] == null) {
        symbols[b] = new String(Character.toChars(256 + n++));
      }
    }
    return List.of(symbols);
  }

  /**
   * Writes a byte-level BPE {@code tokenizer.json} whose vocabulary is the 256 bytes (id = byte
   * value) plus {@code <|endoftext|>} (id 256) and no merges.
   */
  public static void writeByteTokenizerJson(Path file) throws IOException {
    List<String> vocab = new ArrayList<>(byteSymbols());
    vocab.add(END_OF_TEXT);
    writeTokenizerJson(file, vocab, List.of(END_OF_TEXT));
  }

  /** OPT's special tokens in id order 0-3 (facebook/opt-*: bos and eos are both {@code </s>}). */
  public static final List<String> OPT_SPECIALS = List.of("<s>", "<pad>", "</s>", "<unk>");

  /**
   * Writes a byte-level BPE {@code tokenizer.json} with {@code specials} first (ids 0…n−1, e.g.
   * {@link #OPT_SPECIALS}), then the 256 bytes (id = n + byte value), and no merges.
   */
  public static void writeByteTokenizerJson(Path file, List<String> specials) throws IOException {
    List<String> vocab = new ArrayList<>(specials);
    vocab.addAll(byteSymbols());
    writeTokenizerJson(file, vocab, specials);
  }

  /** {@code vocab} in id order, of which {@code specials} are added special tokens; no merges. */
  private static void writeTokenizerJson(Path file, List<String> vocab, List<String> specials)
      throws IOException {
    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", null);
    root.add("padding", null);
    JsonArray added = new JsonArray();
    for (String special : specials) {
      JsonObject t = new JsonObject();
      t.addProperty("id", vocab.indexOf(special));
      t.addProperty("content", special);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", true);
      t.addProperty("special", true);
      added.add(t);
    }
    root.add("added_tokens", added);
    root.add("normalizer", null);
    root.add("pre_tokenizer", byteLevel());
    root.add("post_processor", byteLevel());
    root.add("decoder", byteLevel());
    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", null);
    model.add("unk_token", null);
    model.addProperty("continuing_subword_prefix", "");
    model.addProperty("end_of_word_suffix", "");
    model.addProperty("fuse_unk", false);
    model.addProperty("byte_fallback", false);
    JsonObject ids = new JsonObject();
    for (int i = 0; i < vocab.size(); i++) {
      ids.addProperty(vocab.get(i), i);
    }
    model.add("vocab", ids);
    model.add("merges", new JsonArray());
    root.add("model", model);
    Files.writeString(file, new GsonBuilder().serializeNulls().disableHtmlEscaping().create()
        .toJson(root), StandardCharsets.UTF_8);
  }

  private static JsonObject byteLevel() {
    JsonObject o = new JsonObject();
    o.addProperty("type", "ByteLevel");
    o.addProperty("add_prefix_space", false);
    o.addProperty("trim_offsets", true);
    o.addProperty("use_regex", true);
    return o;
  }
}
