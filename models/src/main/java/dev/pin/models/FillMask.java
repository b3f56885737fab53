package dev.pin.models;

import dev.pin.models.ort.MaskedLm;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The HuggingFace {@code fill-mask} pipeline: tokenizes text holding one {@code [MASK]}, and
 * returns the top-k vocabulary tokens at that position with their softmax probabilities.
 */
public final class FillMask {
  private final MaskedLm lm;

  /**
   * One candidate.
   *
   * @param token the vocabulary token (WordPiece, e.g. {@code paris} or {@code ##s})
   * @param id its id
   * @param probability softmax probability over the whole vocabulary
   */
  public record Prediction(String token, int id, double probability) {}

  /** Fill-mask over {@code lm}. */
  public FillMask(MaskedLm lm) {
    this.lm = lm;
  }

  /**
   * Top-{@code k} fillers for the single {@code [MASK]} in {@code text}.
   *
   * @throws IllegalArgumentException when the text holds no mask or several
   */
  public List<Prediction> predict(String text, int k) throws IOException {
    WordPieceTokenizer tok = lm.tokenizer();
    int maskId = lm.manifest().specialId("mask");
    int[] ids = tok.encode(text);
    int position = maskPosition(ids, maskId, tok, text);
    float[] logits = lm.logitsAt(List.of(ids), new int[] {position})[0];
    return topK(logits, k, tok);
  }

  /**
   * Checks that {@code text} holds exactly one mask token of the model, with only its tokenizer,
   * so a caller can refuse a text before it loads the model (which takes seconds).
   *
   * @throws IllegalArgumentException when the text holds no mask or several
   */
  public static void requireOneMask(String text, WordPieceTokenizer tok, int maskId) {
    maskPosition(tok.encode(text), maskId, tok, text);
  }

  private static int maskPosition(int[] ids, int maskId, WordPieceTokenizer tok, String text) {
    int position = -1;
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == maskId) {
        if (position >= 0) {
          throw new IllegalArgumentException("\"" + text + "\" holds more than one "
              + tok.token(maskId) + "; fill-mask predicts one position");
        }
        position = i;
      }
    }
    if (position < 0) {
      throw new IllegalArgumentException("\"" + text + "\" holds no " + tok.token(maskId)
          + "; write it where the word to predict goes, e.g. \"the capital of france is "
          + tok.token(maskId) + " .\"");
    }
    return position;
  }

  /** Softmax, then the {@code k} most probable tokens, most probable first. */
  static List<Prediction> topK(float[] logits, int k, WordPieceTokenizer tok) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    PriorityQueue<Integer> heap = new PriorityQueue<>(
        (a, b) -> Float.compare(logits[a], logits[b]));
    for (int i = 0; i < logits.length; i++) {
      heap.add(i);
      if (heap.size() > k) {
        heap.poll();
      }
    }
    List<Prediction> out = new ArrayList<>();
    while (!heap.isEmpty()) {
      int i = heap.poll();
      out.add(0, new Prediction(tok.token(i), i, Math.exp(logits[i] - max) / sum));
    }
    return out;
  }
}
