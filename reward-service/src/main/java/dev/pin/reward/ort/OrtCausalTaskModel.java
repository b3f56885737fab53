package dev.pin.reward.ort;

import dev.pin.models.ort.CausalLm;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.backend.TaskTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A causal task LM over ONNX Runtime for classification (§6.1, causal variant): the template
 * renders {@code "{x} {prompt}"}, the text is encoded as the model's HF tokenizer does (OPT
 * prepends {@code </s>}), and the logits of the next token at the last position are read, so the
 * verbalizers are the vocabulary's space-prefixed words ({@code Ġgreat}). The LM head runs at
 * that one position per text only.
 */
final class OrtCausalTaskModel implements TaskLanguageModel {
  private final String name;
  private final CausalLm lm;
  private final CausalTaskTokenizer tokenizer;
  private final int maxPositions;

  OrtCausalTaskModel(String name, CausalLm lm, CausalTaskTokenizer tokenizer) {
    this.name = name;
    this.lm = lm;
    this.tokenizer = tokenizer;
    this.maxPositions = lm.manifest().maxPositions();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean isMasked() {
    return false;
  }

  @Override
  public TaskTokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public float[][] logitsAtTokens(List<int[]> tokenIds, int[] vocabIds) {
    List<int[]> inputs = new ArrayList<>(tokenIds.size());
    for (int i = 0; i < tokenIds.size(); i++) {
      int[] ids = tokenizer.modelInput(tokenIds.get(i));
      if (ids.length == 0) {
        throw new IllegalArgumentException("input " + i + " is empty");
      }
      if (ids.length > maxPositions) {
        // The prediction depends on the end ("… {prompt}"): drop tokens from the front, keeping
        // OPT's leading </s> where there is one.
        int keepFirst = tokenizer.specialTokenCount();
        int[] cut = new int[maxPositions];
        System.arraycopy(ids, 0, cut, 0, keepFirst);
        System.arraycopy(ids, ids.length - (maxPositions - keepFirst), cut, keepFirst,
            maxPositions - keepFirst);
        ids = cut;
      }
      inputs.add(ids);
    }
    float[][] full;
    try {
      full = lm.nextTokenLogits(inputs);
    } catch (IOException e) {
      throw new UncheckedIOException("task model " + name + " failed", e);
    }
    float[][] out = new float[tokenIds.size()][];
    for (int i = 0; i < out.length; i++) {
      float[] row = full[i];
      out[i] = new float[vocabIds.length];
      for (int c = 0; c < vocabIds.length; c++) {
        out[i][c] = row[vocabIds[c]];
      }
    }
    return out;
  }
}
