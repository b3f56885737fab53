package dev.pin.models.onnx;

import java.util.Map;

/**
 * Plain-Java CLIP forward passes (HF modeling_clip semantics: {@code nn.Linear} weights
 * {@code [out, in]}, pre-LN layers, causal text attention, pooling at the end-of-text token,
 * class-token pooling in the vision tower), to check {@link ClipGraph}.
 */
final class ClipReference {
  private final ClipConfig c;
  private final Map<String, FloatTensor> w;

  ClipReference(ClipConfig c, Map<String, FloatTensor> w) {
    this.c = c;
    this.w = w;
  }

  private float[] p(String n) {
    FloatTensor t = w.get(n);
    if (t == null) {
      throw new IllegalArgumentException("no weight " + n);
    }
    return t.toFloats();
  }

  /** {@code text_embeds} of one unpadded sequence. */
  float[] text(int[] ids) {
    ClipConfig.Text t = c.text();
    int n = ids.length;
    int h = t.hiddenSize();
    float[] tok = p("text_model.embeddings.token_embedding.weight");
    float[] pos = p("text_model.embeddings.position_embedding.weight");
    float[][] x = new float[n][h];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < h; j++) {
        x[i][j] = tok[ids[i] * h + j] + pos[i * h + j];
      }
    }
    for (int l = 0; l < t.numLayers(); l++) {
      x = layer(x, "text_model.encoder.layers." + l, t.numHeads(), true, t.hiddenAct(),
          t.layerNormEps());
    }
    x = ln(x, "text_model.final_layer_norm", t.layerNormEps());
    int at = 0;
    if (t.legacyArgmaxPooling()) {
      for (int i = 1; i < n; i++) {
        if (ids[i] > ids[at]) {
          at = i;
        }
      }
    } else {
      for (int i = 0; i < n; i++) {
        if (ids[i] == t.eosTokenId()) {
          at = i;
          break;
        }
      }
    }
    return project(x[at], "text_projection.weight");
  }

  /** {@code image_embeds} of one CHW image. */
  float[] image(float[] pixels) {
    ClipConfig.Vision v = c.vision();
    int h = v.hiddenSize();
    int n = v.imageSize();
    int ps = v.patchSize();
    int g = v.gridSize();
    float[] conv = p("vision_model.embeddings.patch_embedding.weight");
    float[] cls = p("vision_model.embeddings.class_embedding");
    float[] pos = p("vision_model.embeddings.position_embedding.weight");
    float[][] x = new float[g * g + 1][h];
    x[0] = cls.clone();
    for (int gy = 0; gy < g; gy++) {
      for (int gx = 0; gx < g; gx++) {
        for (int o = 0; o < h; o++) {
          double s = 0;
          for (int ch = 0; ch < v.numChannels(); ch++) {
            for (int ky = 0; ky < ps; ky++) {
              for (int kx = 0; kx < ps; kx++) {
                s += conv[((o * v.numChannels() + ch) * ps + ky) * ps + kx]
                    * pixels[(ch * n + gy * ps + ky) * n + gx * ps + kx];
              }
            }
          }
          x[1 + gy * g + gx][o] = (float) s;
        }
      }
    }
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < h; j++) {
        x[i][j] += pos[i * h + j];
      }
    }
    x = ln(x, "vision_model.pre_layrnorm", v.layerNormEps());
    for (int l = 0; l < v.numLayers(); l++) {
      x = layer(x, "vision_model.encoder.layers." + l, v.numHeads(), false, v.hiddenAct(),
          v.layerNormEps());
    }
    float[][] first = ln(new float[][] {x[0]}, "vision_model.post_layernorm", v.layerNormEps());
    return project(first[0], "visual_projection.weight");
  }

  private float[] project(float[] x, String name) {
    float[] k = p(name);
    int in = x.length;
    float[] out = new float[c.projectionDim()];
    for (int o = 0; o < out.length; o++) {
      double s = 0;
      for (int i = 0; i < in; i++) {
        s += x[i] * k[o * in + i];
      }
      out[o] = (float) s;
    }
    return out;
  }

  private float[][] layer(float[][] x, String pre, int heads, boolean causal, String act,
      float eps) {
    int n = x.length;
    int h = x[0].length;
    int dh = h / heads;
    float[][] a = ln(x, pre + ".layer_norm1", eps);
    float[][] q = linear(a, pre + ".self_attn.q_proj");
    float[][] k = linear(a, pre + ".self_attn.k_proj");
    float[][] v = linear(a, pre + ".self_attn.v_proj");
    float[][] ctx = new float[n][h];
    for (int head = 0; head < heads; head++) {
      int o = head * dh;
      for (int i = 0; i < n; i++) {
        int last = causal ? i : n - 1;
        double[] s = new double[last + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= last; j++) {
          double dot = 0;
          for (int d = 0; d < dh; d++) {
            dot += q[i][o + d] * k[j][o + d];
          }
          s[j] = dot / Math.sqrt(dh);
          max = Math.max(max, s[j]);
        }
        double z = 0;
        for (int j = 0; j <= last; j++) {
          s[j] = Math.exp(s[j] - max);
          z += s[j];
        }
        for (int j = 0; j <= last; j++) {
          for (int d = 0; d < dh; d++) {
            ctx[i][o + d] += (float) (s[j] / z * v[j][o + d]);
          }
        }
      }
    }
    x = add(x, linear(ctx, pre + ".self_attn.out_proj"));
    float[][] m = linear(ln(x, pre + ".layer_norm2", eps), pre + ".mlp.fc1");
    for (float[] row : m) {
      for (int j = 0; j < row.length; j++) {
        double z = row[j];
        row[j] = (float) (ClipConfig.QUICK_GELU.equals(act) ? z / (1 + Math.exp(-1.702 * z))
            : 0.5 * z * (1 + erf(z / Math.sqrt(2))));
      }
    }
    return add(x, linear(m, pre + ".mlp.fc2"));
  }

  /** Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
  static double erf(double x) {
    double t = 1 / (1 + 0.3275911 * Math.abs(x));
    double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
        + 0.254829592) * t * Math.exp(-x * x);
    return x >= 0 ? y : -y;
  }

  /** HF nn.Linear: y = x Wᵀ + b with W stored [out, in]. */
  private float[][] linear(float[][] x, String scope) {
    long[] shape = w.get(scope + ".weight").shape();
    int out = (int) shape[0];
    int in = (int) shape[1];
    float[] k = p(scope + ".weight");
    float[] b = p(scope + ".bias");
    float[][] y = new float[x.length][out];
    for (int t = 0; t < x.length; t++) {
      for (int o = 0; o < out; o++) {
        double s = b[o];
        for (int i = 0; i < in; i++) {
          s += x[t][i] * k[o * in + i];
        }
        y[t][o] = (float) s;
      }
    }
    return y;
  }

  private float[][] ln(float[][] x, String scope, float eps) {
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
        y[t][j] = (float) ((x[t][j] - mean) / Math.sqrt(var + eps) * g[j] + b[j]);
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
