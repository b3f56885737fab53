package dev.pin.models.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Incremental decoding of a batch on a causal LM with a key/value cache: {@link
 * CausalLm#startDecoding} runs the prompts once, then each {@link #step} feeds one token per row
 * and runs only that column against the cache.
 *
 * <p>Rows are <b>left-padded</b>: prompts of different lengths end in the same column, so every
 * row's next token goes in one shared new column; padding columns have attention mask 0 and the
 * graph takes position ids from {@code cumsum(mask) − 1}, so each row sees exactly what it would
 * see alone, unpadded. After each call {@link #nextTokenLogits()} and {@link #lastHidden()} are
 * the logits and final hidden state (after the final layer norm, ALGORITHMS.md §2) at each row's
 * last token. Not thread-safe; close it to release the cache.
 */
public final class DecodingState implements AutoCloseable {
  private final CausalRunner runner;
  private final int batch;
  private long[] mask;
  private int total;
  private int[] realLength;
  /** Per layer key then value, {@code [batch, heads, total, head]}. */
  private List<OnnxTensor> cache;
  /** Owns {@link #cache}: the result that produced it, or the copies made by {@link #select}. */
  private AutoCloseable owner;
  private float[][] logits;
  private float[][] hidden;

  private DecodingState(CausalRunner runner, int batch) {
    this.runner = runner;
    this.batch = batch;
  }

  static DecodingState start(CausalRunner runner, List<int[]> prompts) throws IOException {
    if (!runner.hasCache()) {
      throw new IllegalStateException("model " + runner.modelName() + " graph has no key/value"
          + " cache inputs (past_key_values.N.key); re-import it with this version of pin");
    }
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    int batch = prompts.size();
    int len = 0;
    for (int[] p : prompts) {
      if (p.length == 0) {
        throw new IllegalArgumentException("empty prompt in batch");
      }
      len = Math.max(len, p.length);
    }
    DecodingState s = new DecodingState(runner, batch);
    long[] ids = new long[batch * len];
    s.mask = new long[batch * len];
    s.total = len;
    s.realLength = new int[batch];
    for (int b = 0; b < batch; b++) {
      int[] p = prompts.get(b);
      int off = len - p.length;
      Arrays.fill(ids, b * len, b * len + off, runner.padId());
      for (int t = 0; t < p.length; t++) {
        ids[b * len + off + t] = p[t];
        s.mask[b * len + off + t] = 1;
      }
      s.realLength[b] = p.length;
    }
    s.checkLength();
    s.forward(ids, len, null);
    return s;
  }

  private void checkLength() {
    for (int n : realLength) {
      if (n > runner.maxPositions()) {
        throw new IllegalArgumentException("sequence of " + n + " tokens exceeds the model's "
            + runner.maxPositions() + " positions");
      }
    }
  }

  /** Runs {@code seq} new columns (already appended to {@link #mask}) against the cache. */
  private void forward(long[] ids, int seq, List<OnnxTensor> past) throws IOException {
    long[][] pos = new long[batch][1];
    for (long[] row : pos) {
      row[0] = seq - 1;
    }
    Set<String> outs = new HashSet<>();
    outs.add(runner.logitsName());
    if (runner.hasHidden()) {
      outs.add(runner.hiddenName());
    }
    for (int i = 0; i < runner.layers(); i++) {
      outs.add(runner.presentKey(i));
      outs.add(runner.presentValue(i));
    }
    OrtSession.Result r = runner.run(ids, mask, batch, seq, pos, past, outs);
    try {
      float[] l = CausalRunner.floats(r, runner.logitsName());
      int v = runner.vocabSize();
      int perRow = l.length / batch / v; // 1 at the requested position, or seq everywhere
      logits = new float[batch][v];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(l, (b * perRow + perRow - 1) * v, logits[b], 0, v);
      }
      if (runner.hasHidden()) {
        float[] h = CausalRunner.floats(r, runner.hiddenName());
        int hs = runner.hiddenSize();
        hidden = new float[batch][hs];
        for (int b = 0; b < batch; b++) {
          System.arraycopy(h, (b * seq + seq - 1) * hs, hidden[b], 0, hs);
        }
      }
      List<OnnxTensor> next = new ArrayList<>();
      for (int i = 0; i < runner.layers(); i++) {
        next.add((OnnxTensor) r.get(runner.presentKey(i)).orElseThrow());
        next.add((OnnxTensor) r.get(runner.presentValue(i)).orElseThrow());
      }
      closeCache();
      cache = next;
      owner = r;
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
  }

  /**
   * Appends one token per row and advances the cache by one column.
   *
   * @param tokens {@code [batch]} token ids (a finished row may be fed anything, e.g. EOS)
   */
  public void step(int[] tokens) throws IOException {
    if (cache == null) {
      throw new IllegalStateException("decoding state is closed");
    }
    if (tokens.length != batch) {
      throw new IllegalArgumentException(tokens.length + " tokens for " + batch + " rows");
    }
    long[] grown = new long[batch * (total + 1)];
    long[] ids = new long[batch];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(mask, b * total, grown, b * (total + 1), total);
      grown[b * (total + 1) + total] = 1;
      ids[b] = tokens[b];
      realLength[b]++;
    }
    checkLength();
    mask = grown;
    total++;
    forward(ids, 1, cache);
  }

  /**
   * A new state whose row {@code i} is this state's row {@code rows[i]} (cache copied), e.g. to
   * sample N continuations of a prompt that was run once. This state stays usable.
   */
  public DecodingState select(int[] rows) throws IOException {
    if (cache == null) {
      throw new IllegalStateException("decoding state is closed");
    }
    DecodingState s = new DecodingState(runner, rows.length);
    s.total = total;
    s.mask = new long[rows.length * total];
    s.realLength = new int[rows.length];
    s.logits = new float[rows.length][];
    s.hidden = hidden == null ? null : new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      int r = rows[i];
      if (r < 0 || r >= batch) {
        throw new IllegalArgumentException("row " + r + " outside batch of " + batch);
      }
      System.arraycopy(mask, r * total, s.mask, i * total, total);
      s.realLength[i] = realLength[r];
      s.logits[i] = logits[r].clone();
      if (hidden != null) {
        s.hidden[i] = hidden[r].clone();
      }
    }
    List<OnnxTensor> copies = new ArrayList<>();
    try {
      for (OnnxTensor t : cache) {
        long[] shape = t.getInfo().getShape();
        int rowSize = (int) (shape[1] * shape[2] * shape[3]);
        FloatBuffer src = t.getFloatBuffer();
        float[] dst = new float[rows.length * rowSize];
        for (int i = 0; i < rows.length; i++) {
          src.get(rows[i] * rowSize, dst, i * rowSize, rowSize);
        }
        copies.add(OnnxTensor.createTensor(OrtSessions.env(), FloatBuffer.wrap(dst),
            new long[] {rows.length, shape[1], shape[2], shape[3]}));
      }
    } catch (OrtException e) {
      copies.forEach(OnnxTensor::close);
      throw new IOException("copying the cache of " + runner.modelName() + ": " + e.getMessage(),
          e);
    }
    s.cache = copies;
    s.owner = () -> copies.forEach(OnnxTensor::close);
    return s;
  }

  /** Rows in the batch. */
  public int batchSize() {
    return batch;
  }

  /** Columns in the cache (the longest prompt plus the steps so far). */
  public int length() {
    return total;
  }

  /** Logits for the token after each row's last token, {@code [batch][vocab]}. */
  public float[][] nextTokenLogits() {
    return logits;
  }

  /** Final hidden state at each row's last token, {@code [batch][hidden]}. */
  public float[][] lastHidden() {
    if (hidden == null) {
      runner.hiddenName(); // throws, naming the missing output
    }
    return hidden;
  }

  private void closeCache() {
    if (owner != null) {
      try {
        owner.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing the cache: " + e.getMessage(), e);
      }
    }
    owner = null;
    cache = null;
  }

  @Override
  public void close() {
    closeCache();
  }
}
