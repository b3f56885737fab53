package dev.pin.reward.testing;

import dev.pin.reward.backend.TaskTokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A small but real tokenizer over an explicit vocabulary, in two styles: WordPiece (uncased, "##"
 * continuation pieces, leading space irrelevant) and byte-level-BPE-like ("Ġ" marks a token that
 * follows a space; greedy longest match over the vocabulary, falling back to characters). Used to
 * exercise verbalizer checks and length bucketing without model files.
 */
public final class VocabTokenizer implements TaskTokenizer {

  private final boolean wordPiece;
  private final List<String> vocab;
  private final Map<String, Integer> ids = new HashMap<>();
  private final String mask;

  private VocabTokenizer(boolean wordPiece, List<String> vocab, String mask) {
    this.wordPiece = wordPiece;
    this.vocab = List.copyOf(vocab);
    for (int i = 0; i < vocab.size(); i++) {
      ids.put(vocab.get(i), i);
    }
    this.mask = mask;
  }

  /** An uncased WordPiece tokenizer; "[MASK]" and "[UNK]" are added to the vocabulary. */
  public static VocabTokenizer wordPiece(List<String> vocab) {
    List<String> v = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    v.addAll(vocab);
    return new VocabTokenizer(true, v, "[MASK]");
  }

  /** A byte-level-BPE-style tokenizer; "<mask>" is added to the vocabulary. */
  public static VocabTokenizer bpe(List<String> vocab) {
    List<String> v = new ArrayList<>(List.of("<s>", "</s>", "<mask>"));
    v.addAll(vocab);
    return new VocabTokenizer(false, v, "<mask>");
  }

  @Override
  public List<String> tokenize(String text) {
    List<String> out = new ArrayList<>();
    if (wordPiece) {
      for (String word : text.toLowerCase().trim().split("\\s+")) {
        if (word.isEmpty()) {
          continue;
        }
        if (word.equals("[mask]")) {
          out.add("[MASK]");
          continue;
        }
        int start = 0;
        while (start < word.length()) {
          int end = word.length();
          String piece = null;
          while (end > start) {
            String cand = (start == 0 ? "" : "##") + word.substring(start, end);
            if (ids.containsKey(cand)) {
              piece = cand;
              break;
            }
            end--;
          }
          if (piece == null) {
            out.add("[UNK]");
            break;
          }
          out.add(piece);
          start = end;
        }
      }
      return out;
    }
    // BPE style: split into words keeping whether each followed a space.
    int i = 0;
    while (i < text.length()) {
      boolean space = false;
      while (i < text.length() && text.charAt(i) == ' ') {
        space = true;
        i++;
      }
      if (i >= text.length()) {
        out.add("Ġ");
        break;
      }
      int j = i;
      while (j < text.length() && text.charAt(j) != ' ') {
        j++;
      }
      String word = text.substring(i, j);
      if (word.equals("<mask>")) {
        out.add("<mask>");
      } else {
        String s = (space ? "Ġ" : "") + word;
        int start = 0;
        while (start < s.length()) {
          int end = s.length();
          while (end > start + 1 && !ids.containsKey(s.substring(start, end))) {
            end--;
          }
          out.add(s.substring(start, end));
          start = end;
        }
      }
      i = j;
    }
    return out;
  }

  @Override
  public int[] encode(String text) {
    return tokenize(text).stream().mapToInt(t -> ids.getOrDefault(t, 1)).toArray();
  }

  @Override
  public String decode(int[] tokenIds) {
    StringBuilder sb = new StringBuilder();
    for (int id : tokenIds) {
      String t = vocab.get(id);
      if (wordPiece) {
        if (t.startsWith("##")) {
          sb.append(t, 2, t.length());
        } else {
          if (sb.length() > 0) {
            sb.append(' ');
          }
          sb.append(t);
        }
      } else {
        sb.append(t.replace('Ġ', ' '));
      }
    }
    return sb.toString();
  }

  @Override
  public OptionalInt tokenToId(String token) {
    Integer id = ids.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  @Override
  public int vocabSize() {
    return vocab.size();
  }

  @Override
  public Optional<String> maskToken() {
    return Optional.of(mask);
  }

  @Override
  public int specialTokenCount() {
    return 2;
  }
}
