package dev.pin.reward.ort;

import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.DecodingState;
import dev.pin.reward.backend.TaskTokenizer;
import dev.pin.reward.backend.TextGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The style-transfer generator (§6.2) over a causal LM on ONNX Runtime (GPT-2 or OPT): each input
 * is run once, its key/value cache copied to N rows, and the rows are sampled together one token
 * per step with top-k and temperature. A row stops at the cut rule's closing {@code "} (the token
 * is kept: {@link dev.pin.reward.style.StyleOutputs#cut} cuts there), at the model's EOS (dropped)
 * or at its max-new-tokens budget; the batch stops when every row has. Continuations are decoded
 * without the input.
 *
 * <p>Sampling is seeded per row from (request seed, sample index) with {@link SplittableRandom}, so
 * the same request and seed give the same samples however requests are batched together. Top-k
 * keeps the k largest logits (ties broken by the lower id), so top-k = 1 is greedy argmax.
 * Thread-safe: each call owns its decoding states.
 */
final class OrtTextGenerator implements TextGenerator {
  private final String name;
  private final CausalLm lm;
  private final CausalTaskTokenizer tokenizer;
  private final int maxRows;
  private final int eos;
  /** Tokens whose text contains {@code "}: a row that emits one is done (§6.2 cut rule). */
  private final boolean[] quote;

  /**
   * Creates a generator.
   *
   * @param maxRows rows decoded together at most (bounds the cache's memory)
   */
  OrtTextGenerator(String name, CausalLm lm, CausalTaskTokenizer tokenizer, int maxRows) {
    if (maxRows < 1) {
      throw new IllegalArgumentException("maxRows must be ≥ 1, got " + maxRows);
    }
    if (!lm.supportsIncrementalDecoding()) {
      throw new IllegalArgumentException("model " + name + " has no key/value cache in its graph;"
          + " re-import it with this version of pin to generate with it");
    }
    this.name = name;
    this.lm = lm;
    this.tokenizer = tokenizer;
    this.maxRows = maxRows;
    this.eos = lm.manifest().specialId("eos");
    this.quote = new boolean[lm.manifest().vocabSize()];
    for (int id = 0; id < quote.length; id++) {
      String t = tokenizer.token(id);
      // Byte-level BPE spells byte 0x22 as '"' itself, so the vocabulary string tells.
      quote[id] = t != null && t.indexOf('"') >= 0 && id != eos;
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public TaskTokenizer tokenizer() {
    return tokenizer;
  }

  /** One row to sample: request {@code request}, sample {@code sample}. */
  private record Row(int request, int sample) {}

  @Override
  public List<List<String>> generate(List<Request> requests) {
    List<int[]> inputs = new ArrayList<>(requests.size());
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < requests.size(); r++) {
      Request q = requests.get(r);
      if (q.numSamples() < 1 || q.maxNewTokens() < 0 || q.topK() < 0 || !(q.temperature() > 0)) {
        throw new IllegalArgumentException("request " + r + " needs num_samples ≥ 1,"
            + " max_new_tokens ≥ 0, top_k ≥ 0 and temperature > 0: " + q);
      }
      int[] ids = tokenizer.modelInput(q.input());
      if (ids.length == 0) {
        ids = new int[] {eos}; // an empty input continues from the document boundary
      }
      if (ids.length >= lm.manifest().maxPositions()) {
        throw new IllegalArgumentException("input " + r + " has " + ids.length + " tokens; "
            + name + " reads at most " + lm.manifest().maxPositions());
      }
      inputs.add(ids);
      for (int j = 0; j < q.numSamples(); j++) {
        rows.add(new Row(r, j));
      }
    }
    List<List<String>> out = new ArrayList<>(requests.size());
    for (Request q : requests) {
      out.add(new ArrayList<>(java.util.Collections.nCopies(q.numSamples(), (String) null)));
    }
    for (int from = 0; from < rows.size(); from += maxRows) {
      List<Row> chunk = rows.subList(from, Math.min(rows.size(), from + maxRows));
      try {
        decode(requests, inputs, chunk, out);
      } catch (IOException e) {
        throw new UncheckedIOException("generator " + name + " failed: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** Samples every row of {@code chunk} to completion into {@code out}. */
  private void decode(List<Request> requests, List<int[]> inputs, List<Row> chunk,
      List<List<String>> out) throws IOException {
    // Each distinct input of the chunk runs once; its rows share the copied cache.
    Map<Integer, Integer> prefillRow = new LinkedHashMap<>();
    for (Row row : chunk) {
      prefillRow.putIfAbsent(row.request(), prefillRow.size());
    }
    List<int[]> prompts = new ArrayList<>();
    prefillRow.keySet().forEach(r -> prompts.add(inputs.get(r)));
    int n = chunk.size();
    int[] select = new int[n];
    int[] budget = new int[n];
    SplittableRandom[] rng = new SplittableRandom[n];
    int longest = 0;
    for (int i = 0; i < n; i++) {
      Row row = chunk.get(i);
      Request q = requests.get(row.request());
      select[i] = prefillRow.get(row.request());
      budget[i] = Math.min(q.maxNewTokens(),
          lm.manifest().maxPositions() - inputs.get(row.request()).length);
      longest = Math.max(longest, budget[i]);
      rng[i] = new SplittableRandom(mix(q.seed(), row.sample()));
    }
    List<List<Integer>> generated = new ArrayList<>(n);
    boolean[] done = new boolean[n];
    for (int i = 0; i < n; i++) {
      generated.add(new ArrayList<>());
      done[i] = budget[i] == 0;
    }
    try (DecodingState prefill = lm.startDecoding(prompts);
        DecodingState state = prefill.select(select)) {
      prefill.close(); // the rows own copies now
      for (int step = 0; step < longest; step++) {
        float[][] logits = state.nextTokenLogits();
        int[] next = new int[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
          if (done[i]) {
            next[i] = eos;
            continue;
          }
          Request q = requests.get(chunk.get(i).request());
          int t = sample(logits[i], q.topK(), q.temperature(), rng[i]);
          next[i] = t;
          if (t == eos) {
            done[i] = true;
            continue;
          }
          generated.get(i).add(t);
          done[i] = quote[t] || generated.get(i).size() >= budget[i];
          any |= !done[i];
        }
        if (!any) {
          break;
        }
        state.step(next);
      }
    }
    for (int i = 0; i < n; i++) {
      Row row = chunk.get(i);
      int[] ids = generated.get(i).stream().mapToInt(Integer::intValue).toArray();
      out.get(row.request()).set(row.sample(), tokenizer.decode(ids));
    }
  }

  /**
   * Samples from softmax(logits / temperature) restricted to the {@code topK} largest logits
   * (0 = the whole vocabulary); ties rank the lower id first.
   */
  static int sample(float[] logits, int topK, float temperature, SplittableRandom rng) {
    int k = topK <= 0 ? logits.length : Math.min(topK, logits.length);
    int[] best = new int[k];
    int filled = 0;
    for (int v = 0; v < logits.length; v++) {
      if (filled == k && logits[v] <= logits[best[k - 1]]) {
        continue;
      }
      int pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && logits[best[pos - 1]] < logits[v]) {
        best[pos] = best[pos - 1];
        pos--;
      }
      best[pos] = v;
    }
    if (k == 1) {
      return best[0];
    }
    double max = logits[best[0]];
    double[] p = new double[k];
    double z = 0;
    for (int i = 0; i < k; i++) {
      p[i] = Math.exp((logits[best[i]] - max) / temperature);
      z += p[i];
    }
    double u = rng.nextDouble() * z;
    for (int i = 0; i < k; i++) {
      u -= p[i];
      if (u < 0) {
        return best[i];
      }
    }
    return best[k - 1];
  }

  /** A row's seed from the request's seed and the sample index (SplitMix64's finaliser). */
  static long mix(long seed, int sample) {
    long z = seed + 0x9E3779B97F4A7C15L * (sample + 1L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
