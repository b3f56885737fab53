package dev.pin.reward.ort;

import dev.pin.models.ort.MaskedLm;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.backend.TaskTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A masked task LM over ONNX Runtime (§6.1), BERT or RoBERTa: each text is encoded as {@code [CLS]
 * text [SEP]} (RoBERTa: {@code <s> text </s>}, mask {@code <mask>}) and the MLM head runs at its
 * single [MASK] only (the graph takes the positions to project), so a
 * batch costs one encoder pass and B × |V| logits, not B × length × |V|.
 */
final class OrtMaskedTaskModel implements TaskLanguageModel {
  private final String name;
  private final String identity;
  private final String variant;
  private final MaskedLm lm;
  private final EncoderTaskTokenizer tokenizer;
  private final int maskId;
  private final int clsId;
  private final int sepId;
  private final int maxPositions;

  OrtMaskedTaskModel(String name, String identity, String variant, MaskedLm lm) {
    this.name = name;
    this.identity = identity;
    this.variant = variant;
    this.lm = lm;
    this.maskId = lm.manifest().specialId("mask");
    this.clsId = lm.manifest().specialId("cls");
    this.sepId = lm.manifest().specialId("sep");
    this.maxPositions = lm.manifest().maxPositions();
    this.tokenizer = new EncoderTaskTokenizer(lm.textTokenizer(),
        lm.manifest().specialTokens().get("mask").token());
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public String variant() {
    return variant;
  }

  @Override
  public boolean isMasked() {
    return true;
  }

  @Override
  public TaskTokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public float[][] logitsAtTokens(List<int[]> tokenIds, int[] vocabIds) {
    List<int[]> inputs = new ArrayList<>(tokenIds.size());
    int[] positions = new int[tokenIds.size()];
    for (int i = 0; i < tokenIds.size(); i++) {
      // [CLS] body [SEP] (<s> body </s>), as the tokenizer's encode(text) frames text.
      int[] body = tokenIds.get(i);
      int[] ids = new int[body.length + 2];
      ids[0] = clsId;
      System.arraycopy(body, 0, ids, 1, body.length);
      ids[ids.length - 1] = sepId;
      int mask = -1;
      for (int t = 0; t < ids.length; t++) {
        if (ids[t] == maskId) {
          if (mask >= 0) {
            throw new IllegalArgumentException("input " + i + " has more than one mask token");
          }
          mask = t;
        }
      }
      if (mask < 0) {
        throw new IllegalArgumentException("input " + i + " has no mask token: "
            + tokenizer.decode(body));
      }
      if (ids.length > maxPositions) {
        // Keep the mask: drop tokens from the far side of it (long inputs are rare in few-shot
        // data, but BERT cannot read past its position table).
        ids = truncateAround(ids, mask, maxPositions);
        mask = indexOf(ids, maskId);
      }
      inputs.add(ids);
      positions[i] = mask;
    }
    float[][] full;
    try {
      full = lm.logitsAt(inputs, positions);
    } catch (IOException e) {
      throw new UncheckedIOException("task model " + name + " failed", e);
    }
    float[][] out = new float[tokenIds.size()][vocabIds.length];
    for (int i = 0; i < out.length; i++) {
      for (int c = 0; c < vocabIds.length; c++) {
        out[i][c] = full[i][vocabIds[c]];
      }
    }
    return out;
  }

  private static int indexOf(int[] ids, int id) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == id) {
        return i;
      }
    }
    return -1;
  }

  /** [CLS] + the window of {@code max − 2} body tokens that keeps the mask + [SEP] (<s>, </s>). */
  static int[] truncateAround(int[] ids, int mask, int max) {
    int body = max - 2;
    int start = Math.max(1, Math.min(mask - body / 2, ids.length - 1 - body));
    int[] out = new int[max];
    out[0] = ids[0];
    System.arraycopy(ids, start, out, 1, body);
    out[max - 1] = ids[ids.length - 1];
    return out;
  }
}
