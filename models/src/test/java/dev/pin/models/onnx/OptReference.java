package dev.pin.models.onnx;

import java.util.Map;

/** Plain-Java OPT forward pass (HF modeling_opt semantics), to check {@link OptGraph}. */
final class OptReference {
  private final OptConfig c;
  private final Map<String, FloatTensor> w;

  OptReference(OptConfig c, Map<String, FloatTensor> w) {
    this.c = c;
    this.w = w;
  }

  private float[] p(String n) {
    return w.get(n).toFloats();
  }

  /** HF's OPTModel last_hidden_state of one unpadded sequence (after final LN, project_out). */
  float[][] hidden(int[] ids) {
    int n = ids.length;
    int h = c.hiddenSize();
    int e = c.wordEmbedProjDim();
    float[] emb = p("embed_tokens.weight");
    float[][] x = new float[n][e];
    for (int t = 0; t < n; t++) {
      System.arraycopy(emb, ids[t] * e, x[t], 0, e);
    }
    if (c.projects()) {
      x = linearNoBias(x, "project_in.weight");
    }
    float[] pos = p("embed_positions.weight");
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < h; j++) {
        x[t][j] += pos[(t + 2) * h + j]; // cumsum(mask)·mask − 1 = t, plus OPT's offset 2
      }
    }
    int dh = c.headSize();
    double scaling = Math.pow(dh, -0.5);
    for (int l = 0; l < c.numLayers(); l++) {
      String pre = "layers." + l;
      float[][] residual = x;
      float[][] a = c.doLayerNormBefore() ? ln(x, pre + ".self_attn_layer_norm") : x;
      float[][] q = linear(a, pre + ".self_attn.q_proj");
      float[][] k = linear(a, pre + ".self_attn.k_proj");
      float[][] v = linear(a, pre + ".self_attn.v_proj");
      float[][] ctx = new float[n][h];
      for (int head = 0; head < c.numHeads(); head++) {
        int o = head * dh;
        for (int i = 0; i < n; i++) {
          double[] s = new double[i + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            double dot = 0;
            for (int d = 0; d < dh; d++) {
              dot += q[i][o + d] * scaling * k[j][o + d];
            }
            s[j] = dot;
            max = Math.max(max, dot);
          }
          double z = 0;
          for (int j = 0; j <= i; j++) {
            s[j] = Math.exp(s[j] - max);
            z += s[j];
          }
          for (int j = 0; j <= i; j++) {
            for (int d = 0; d < dh; d++) {
              ctx[i][o + d] += (float) (s[j] / z * v[j][o + d]);
            }
          }
        }
      }
      x = add(residual, linear(ctx, pre + ".self_attn.out_proj"));
      if (!c.doLayerNormBefore()) {
        x = ln(x, pre + ".self_attn_layer_norm");
      }
      residual = x;
      float[][] m = c.doLayerNormBefore() ? ln(x, pre + ".final_layer_norm") : x;
      m = linear(m, pre + ".fc1");
      for (float[] row : m) {
        for (int j = 0; j < row.length; j++) {
          row[j] = Math.max(0, row[j]);
        }
      }
      x = add(residual, linear(m, pre + ".fc2"));
      if (!c.doLayerNormBefore()) {
        x = ln(x, pre + ".final_layer_norm");
      }
    }
    if (c.finalLayerNorm()) {
      x = ln(x, "final_layer_norm");
    }
    if (c.projects()) {
      x = linearNoBias(x, "project_out.weight");
    }
    return x;
  }

  /** lm_head, tied to embed_tokens. */
  float[] logits(float[] hidden) {
    float[] emb = p("embed_tokens.weight");
    int e = c.wordEmbedProjDim();
    float[] out = new float[c.vocabSize()];
    for (int v = 0; v < out.length; v++) {
      double s = 0;
      for (int j = 0; j < e; j++) {
        s += hidden[j] * emb[v * e + j];
      }
      out[v] = (float) s;
    }
    return out;
  }

  /** y = x Wᵀ + b with W [out, in] (nn.Linear). */
  private float[][] linear(float[][] x, String scope) {
    float[][] y = linearNoBias(x, scope + ".weight");
    float[] b = p(scope + ".bias");
    for (float[] row : y) {
      for (int o = 0; o < row.length; o++) {
        row[o] += b[o];
      }
    }
    return y;
  }

  private float[][] linearNoBias(float[][] x, String name) {
    long[] shape = w.get(name).shape();
    int out = (int) shape[0];
    int in = (int) shape[1];
    float[] k = p(name);
    float[][] y = new float[x.length][out];
    for (int t = 0; t < x.length; t++) {
      for (int o = 0; o < out; o++) {
        double s = 0;
        for (int i = 0; i < in; i++) {
          s += x[t][i] * k[o * in + i];
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
