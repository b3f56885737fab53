package dev.pin.models.bench;

import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.Gpt2Config;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.DecodingState;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.tokenizer.ByteLevelBpe;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.Gpt2ModelWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Greedy decoding over the GPT-2 key/value cache ({@link DecodingState}) against recomputing the
 * whole prefix every step ({@link CausalLm#nextTokenLogits}), on a random-weight GPT-2 built here
 * (no GPT-2 weights exist on these machines; speed depends on the shapes, not the values). Prints
 * both times, their ratio and the largest logit difference between the two paths.
 *
 * <p>Arguments: layers hidden heads vocab batch promptTokens newTokens threads (defaults 6 512 8
 * 8192 8 16 48 2).
 */
public final class DecodingBenchmark {
  private DecodingBenchmark() {}

  public static void main(String[] args) throws Exception {
    int[] a = {6, 512, 8, 8192, 8, 16, 48, 2};
    for (int i = 0; i < args.length && i < a.length; i++) {
      a[i] = Integer.parseInt(args[i]);
    }
    Gpt2Config c = new Gpt2Config(a[3], a[1], a[0], a[2], 1024, 1e-5f);
    int batch = a[4];
    int promptLen = a[5];
    int newTokens = a[6];
    Path dir = Files.createTempDirectory("pin-decoding-bench");
    ByteLevelBpe.writeByteTokenizerJson(dir.resolve(BertModelWriter.TOKENIZER_FILE));
    Map<String, FloatTensor> w = weights(c, new Random(1));
    ModelDir model = Gpt2ModelWriter.write(dir, "bench-gpt2", c, w::get, 0, Map.of());
    Random r = new Random(2);
    List<int[]> prompts = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      int[] p = new int[promptLen - (b % 4)]; // rows of different lengths
      for (int t = 0; t < p.length; t++) {
        p[t] = 1 + r.nextInt(c.vocabSize() - 1);
      }
      prompts.add(p);
    }
    try (OrtSessions sessions = new OrtSessions()) {
      CausalLm lm = CausalLm.open(model, OrtConfig.cpu(a[7]), sessions);
      lm.nextTokenLogits(prompts); // warm-up
      long t0 = System.nanoTime();
      List<int[]> rows = new ArrayList<>(prompts);
      float[][] full = null;
      for (int s = 0; s < newTokens; s++) {
        full = lm.nextTokenLogits(rows);
        for (int b = 0; b < batch; b++) {
          int[] x = Arrays.copyOf(rows.get(b), rows.get(b).length + 1);
          x[x.length - 1] = argmax(full[b]);
          rows.set(b, x);
        }
      }
      double fullS = (System.nanoTime() - t0) / 1e9;
      long t1 = System.nanoTime();
      float[][] cached;
      try (DecodingState state = lm.startDecoding(prompts)) {
        for (int s = 0; s < newTokens - 1; s++) {
          int[] next = new int[batch];
          for (int b = 0; b < batch; b++) {
            next[b] = argmax(state.nextTokenLogits()[b]);
          }
          state.step(next);
        }
        cached = state.nextTokenLogits();
      }
      double cachedS = (System.nanoTime() - t1) / 1e9;
      double worst = 0;
      for (int b = 0; b < batch; b++) {
        for (int v = 0; v < c.vocabSize(); v++) {
          worst = Math.max(worst, Math.abs(full[b][v] - cached[b][v]));
        }
      }
      System.out.printf(Locale.ROOT, "GPT-2 %d layers, hidden %d, vocab %d; batch %d, prompts"
          + " %d-%d tokens, %d new tokens, %d threads%n", c.numLayers(), c.hiddenSize(),
          c.vocabSize(), batch, promptLen - 3, promptLen, newTokens, a[7]);
      System.out.printf(Locale.ROOT, "full recompute: %.2f s (%.1f ms/token)%n", fullS,
          1000 * fullS / newTokens);
      System.out.printf(Locale.ROOT, "KV cache:       %.2f s (%.1f ms/token)  speed-up %.1fx;"
          + " max |logit diff| at the last step %.2e%n", cachedS, 1000 * cachedS / newTokens,
          fullS / cachedS, worst);
    }
  }

  private static int argmax(float[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      if (x[i] > x[best]) {
        best = i;
      }
    }
    return best;
  }

  private static Map<String, FloatTensor> weights(Gpt2Config c, Random r) {
    Map<String, FloatTensor> w = new HashMap<>();
    int h = c.hiddenSize();
    w.put("wte.weight", gauss(r, 0.02f, 0, c.vocabSize(), h));
    w.put("wpe.weight", gauss(r, 0.01f, 0, c.maxPositions(), h));
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "h." + i;
      w.put(p + ".ln_1.weight", gauss(r, 0, 1, h));
      w.put(p + ".ln_1.bias", gauss(r, 0, 0, h));
      w.put(p + ".attn.c_attn.weight", gauss(r, 0.02f, 0, h, 3 * h));
      w.put(p + ".attn.c_attn.bias", gauss(r, 0, 0, 3 * h));
      w.put(p + ".attn.c_proj.weight", gauss(r, 0.02f, 0, h, h));
      w.put(p + ".attn.c_proj.bias", gauss(r, 0, 0, h));
      w.put(p + ".ln_2.weight", gauss(r, 0, 1, h));
      w.put(p + ".ln_2.bias", gauss(r, 0, 0, h));
      w.put(p + ".mlp.c_fc.weight", gauss(r, 0.02f, 0, h, 4 * h));
      w.put(p + ".mlp.c_fc.bias", gauss(r, 0, 0, 4 * h));
      w.put(p + ".mlp.c_proj.weight", gauss(r, 0.02f, 0, 4 * h, h));
      w.put(p + ".mlp.c_proj.bias", gauss(r, 0, 0, h));
    }
    w.put("ln_f.weight", gauss(r, 0, 1, h));
    w.put("ln_f.bias", gauss(r, 0, 0, h));
    return w;
  }

  private static FloatTensor gauss(Random r, float std, float mean, int... shape) {
    int n = 1;
    long[] s = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      n *= shape[i];
      s[i] = shape[i];
    }
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = mean + std * (float) r.nextGaussian();
    }
    return FloatTensor.of(x, s);
  }
}
