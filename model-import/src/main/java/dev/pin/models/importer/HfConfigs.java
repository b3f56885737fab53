package dev.pin.models.importer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Readers for the JSON files of a HuggingFace checkpoint ({@code config.json},
 * {@code tokenizer.json}, {@code preprocessor_config.json}) shared by the HF importers, so that
 * their error messages stay the same wherever a file or key is missing.
 */
final class HfConfigs {
  private HfConfigs() {}

  /** The JSON object in {@code p}; "missing p" or "malformed JSON in p: …" otherwise. */
  static JsonObject json(Path p) throws IOException {
    if (!Files.isRegularFile(p)) {
      throw new IOException("missing " + p);
    }
    try {
      return JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IOException("malformed JSON in " + p + ": " + e.getMessage(), e);
    }
  }

  /** A required int of {@code config.json}; "config.json lacks key" when absent. */
  static int num(JsonObject o, String key) throws IOException {
    if (!o.has(key)) {
      throw new IOException("config.json lacks " + key);
    }
    return o.get(key).getAsInt();
  }

  /** Whether {@code key} is set to something other than JSON {@code null}. */
  static boolean present(JsonObject o, String key) {
    return o.has(key) && !o.get(key).isJsonNull();
  }

  /** An optional int, {@code fallback} when absent or null. */
  static int num(JsonObject o, String key, int fallback) {
    return present(o, key) ? o.get(key).getAsInt() : fallback;
  }

  /** An optional float, {@code fallback} when absent or null. */
  static float flt(JsonObject o, String key, float fallback) {
    return present(o, key) ? o.get(key).getAsFloat() : fallback;
  }

  /** An optional string, {@code fallback} when absent or null. */
  static String str(JsonObject o, String key, String fallback) {
    return present(o, key) ? o.get(key).getAsString() : fallback;
  }

  /** An optional boolean, {@code fallback} when absent or null. */
  static boolean bool(JsonObject o, String key, boolean fallback) {
    return present(o, key) ? o.get(key).getAsBoolean() : fallback;
  }

  /**
   * The id of {@code token} in a parsed {@code tokenizer.json}: its {@code added_tokens} entry,
   * else its entry in {@code model.vocab}; empty when it has neither (callers word the error).
   */
  static OptionalInt tokenId(JsonObject tokenizer, String token) {
    if (tokenizer.has("added_tokens")) {
      for (JsonElement e : tokenizer.getAsJsonArray("added_tokens")) {
        JsonObject t = e.getAsJsonObject();
        if (token.equals(t.get("content").getAsString())) {
          return OptionalInt.of(t.get("id").getAsInt());
        }
      }
    }
    JsonObject vocab = tokenizer.has("model")
        ? tokenizer.getAsJsonObject("model").getAsJsonObject("vocab") : null;
    if (vocab != null && vocab.has(token)) {
      return OptionalInt.of(vocab.get(token).getAsInt());
    }
    return OptionalInt.empty();
  }
}
