package dev.pin.models.onnx;

import java.util.Map;

/** Plain-Java GPT-2 forward pass (HF modeling_gpt2 semantics), to check {@link Gpt2Graph}. */
final class Gpt2Reference {
  private final Gpt2Config c;
  private final Map<String, FloatTensor> w;

  Gpt2Reference(Gpt2Config c, Map<String, FloatTensor> w) {
    this.c = c;
    this.w = w;
  }

  private float[] p(String n) {
    return w.get(n).toFloats();
  }

  /** Final hidden states (after ln_f) of one unpadded sequence. */
  float[][] hidden(int[] ids) {
    int n = ids.length;
    int h = c.hiddenSize();
    float[] wte = p("wte.weight");
    float[] wpe = p("wpe.weight");
    float[][] x = new float[n][h];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < h; j++) {
        x[t][j] = wte[ids[t] * h + j] + wpe[t * h + j];
      }
    }
    int dh = c.headSize();
    for (int l = 0; l < c.numLayers(); l++) {
      String pre = "h." + l;
      float[][] a = ln(x, pre + ".ln_1");
      float[][] qkv = dense(a, pre + ".attn.c_attn");
      float[][] ctx = new float[n][h];
      for (int head = 0; head < c.numHeads(); head++) {
        int o = head * dh;
        for (int i = 0; i < n; i++) {
          double[] s = new double[i + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            double dot = 0;
            for (int d = 0; d < dh; d++) {
              dot += qkv[i][o + d] * qkv[j][h + o + d];
            }
            s[j] = dot / Math.sqrt(dh);
            max = Math.max(max, s[j]);
          }
          double z = 0;
          for (int j = 0; j <= i; j++) {
            s[j] = Math.exp(s[j] - max);
            z += s[j];
          }
          for (int j = 0; j <= i; j++) {
            for (int d = 0; d < dh; d++) {
              ctx[i][o + d] += (float) (s[j] / z * qkv[j][2 * h + o + d]);
            }
          }
        }
      }
      x = add(x, dense(ctx, pre + ".attn.c_proj"));
      float[][] m = dense(ln(x, pre + ".ln_2"), pre + ".mlp.c_fc");
      for (float[] row : m) {
        for (int j = 0; j < row.length; j++) {
          double v = row[j];
          row[j] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI)
              * (v + 0.044715 * v * v * v))));
        }
      }
      x = add(x, dense(m, pre + ".mlp.c_proj"));
    }
    return ln(x, "ln_f");
  }

  /** Tied LM head. */
  float[] logits(float[] hidden) {
    float[] wte = p("wte.weight");
    int h = c.hiddenSize();
    float[] out = new float[c.vocabSize()];
    for (int v = 0; v < out.length; v++) {
      double s = 0;
      for (int j = 0; j < h; j++) {
        s += hidden[j] * wte[v * h + j];
      }
      out[v] = (float) s;
    }
    return out;
  }

  private float[][] dense(float[][] x, String scope) {
    long[] shape = w.get(scope + ".weight").shape();
    int in = (int) shape[0];
    int out = (int) shape[1];
    float[] k = p(scope + ".weight");
    float[] b = p(scope + ".bias");
    float[][] y = new float[x.length][out];
    for (int t = 0; t < x.length; t++) {
      for (int o = 0; o < out; o++) {
        double s = b[o];
        for (int i = 0; i < in; i++) {
          s += x[t][i] * k[i * out + o];
        }
        y[t][o] = (float) s;
      }
    }
    return y;
  }

  private float[][] ln(float[][] x, String scope) {
    float[] g = p(scope + ".weight");
    float[] b = p(scope + ".bias");
    float[][] y = new float[x.length][x[0].length];
    for (int t = 0; t < x.length; t++) {
      double mean = 0;
      for (float f : x[t]) {
        mean += f;
      }
      mean /= x[t].length;
      double var = 0;
      for (float f : x[t]) {
        var += (f - mean) * (f - mean);
      }
      var /= x[t].length;
      for (int j = 0; j < x[t].length; j++) {
        y[t][j] = (float) ((x[t][j] - mean) / Math.sqrt(var + c.layerNormEps()) * g[j] + b[j]);
      }
    }
    return y;
  }

  private static float[][] add(float[][] a, float[][] b) {
    float[][] y = new float[a.length][a[0].length];
    for (int t = 0; t < a.length; t++) {
      for (int j = 0; j < a[0].length; j++) {
        y[t][j] = a[t][j] + b[t][j];
      }
    }
    return y;
  }
}
