package dev.pin.models.onnx;

import java.util.Map;

/**
 * An independent plain-Java BERT forward pass (loops over arrays, no ONNX), written from the
 * BERT paper / Google's modeling.py, to check the emitted graph numerically.
 */
final class BertReference {
  private final BertConfig c;
  private final Map<String, FloatTensor> w;
  /** Position id of the first token: 0 for BERT, padding_idx + 1 for RoBERTa (unpadded input). */
  private final int positionOffset;

  BertReference(BertConfig c, Map<String, FloatTensor> w) {
    this(c, w, 0);
  }

  /** A reference whose token t sits at position {@code positionOffset + t} (RoBERTa: pad + 1). */
  BertReference(BertConfig c, Map<String, FloatTensor> w, int positionOffset) {
    this.c = c;
    this.w = w;
    this.positionOffset = positionOffset;
  }

  private float[] p(String name) {
    return w.get(name).toFloats();
  }

  /** Final hidden states [seq][hidden] of one unpadded sequence (all-ones attention mask). */
  float[][] hidden(int[] ids) {
    return hidden(ids, c.numLayers());
  }

  /** Hidden states after {@code layers} encoder layers (0 = the embeddings' LayerNorm). */
  float[][] hidden(int[] ids, int layers) {
    int n = ids.length;
    int h = c.hiddenSize();
    float[] word = p(BertNames.WORD_EMBEDDINGS);
    float[] pos = p(BertNames.POSITION_EMBEDDINGS);
    float[] type = p(BertNames.TOKEN_TYPE_EMBEDDINGS);
    float[][] x = new float[n][h];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < h; j++) {
        x[t][j] = word[ids[t] * h + j] + pos[(positionOffset + t) * h + j] + type[j];
      }
    }
    x = layerNorm(x, BertNames.EMBEDDINGS_LN);
    for (int l = 0; l < layers; l++) {
      String pre = BertNames.layer(l);
      float[][] q = dense(x, pre + "/attention/self/query");
      float[][] k = dense(x, pre + "/attention/self/key");
      float[][] v = dense(x, pre + "/attention/self/value");
      float[][] ctx = new float[n][h];
      int dh = c.headSize();
      for (int head = 0; head < c.numHeads(); head++) {
        int o = head * dh;
        for (int i = 0; i < n; i++) {
          double[] s = new double[n];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < n; j++) {
            double dot = 0;
            for (int d = 0; d < dh; d++) {
              dot += q[i][o + d] * k[j][o + d];
            }
            s[j] = dot / Math.sqrt(dh);
            max = Math.max(max, s[j]);
          }
          double z = 0;
          for (int j = 0; j < n; j++) {
            s[j] = Math.exp(s[j] - max);
            z += s[j];
          }
          for (int j = 0; j < n; j++) {
            for (int d = 0; d < dh; d++) {
              ctx[i][o + d] += (float) (s[j] / z * v[j][o + d]);
            }
          }
        }
      }
      float[][] a = add(dense(ctx, pre + "/attention/output/dense"), x);
      a = layerNorm(a, pre + "/attention/output/LayerNorm");
      float[][] inter = gelu(dense(a, pre + "/intermediate/dense"));
      x = layerNorm(add(dense(inter, pre + "/output/dense"), a), pre + "/output/LayerNorm");
    }
    return x;
  }

  /** MLM head logits [vocab] for one hidden vector. */
  float[] head(float[] hidden) {
    float[][] t = gelu(dense(new float[][] {hidden}, BertNames.HEAD_DENSE));
    t = layerNorm(t, BertNames.HEAD_LN);
    float[] word = p(BertNames.WORD_EMBEDDINGS);
    float[] bias = p(BertNames.OUTPUT_BIAS);
    int h = c.hiddenSize();
    float[] out = new float[c.vocabSize()];
    for (int v = 0; v < out.length; v++) {
      double s = bias[v];
      for (int j = 0; j < h; j++) {
        s += t[0][j] * word[v * h + j];
      }
      out[v] = (float) s;
    }
    return out;
  }

  /** One vector through dense layer {@code scope} (kernel [in, out] + bias). */
  float[] dense(float[] x, String scope) {
    return dense(new float[][] {x}, scope)[0];
  }

  /** Element-wise tanh. */
  static float[] tanh(float[] x) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (float) Math.tanh(x[i]);
    }
    return y;
  }

  private float[][] dense(float[][] x, String scope) {
    long[] shape = w.get(BertNames.kernel(scope)).shape();
    int in = (int) shape[0];
    int out = (int) shape[1];
    float[] k = p(BertNames.kernel(scope));
    float[] b = p(BertNames.bias(scope));
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

  private float[][] layerNorm(float[][] x, String scope) {
    float[] g = p(BertNames.gamma(scope));
    float[] b = p(BertNames.beta(scope));
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

  private static float[][] gelu(float[][] x) {
    float[][] y = new float[x.length][x[0].length];
    for (int t = 0; t < x.length; t++) {
      for (int j = 0; j < x[0].length; j++) {
        double v = x[t][j];
        y[t][j] = (float) (0.5 * v * (1 + erf(v / Math.sqrt(2))));
      }
    }
    return y;
  }

  /** erf to ~1e-15 by its Taylor series (|x| < 3) or the asymptotic complement. */
  static double erf(double x) {
    double ax = Math.abs(x);
    if (ax > 6) {
      return Math.signum(x);
    }
    double sum = 0;
    double term = ax;
    for (int n = 0; n < 200; n++) {
      double add = term / (2 * n + 1);
      sum += add;
      term *= -ax * ax / (n + 1);
      if (Math.abs(add) < 1e-17) {
        break;
      }
    }
    return Math.signum(x) * 2 / Math.sqrt(Math.PI) * sum;
  }
}
