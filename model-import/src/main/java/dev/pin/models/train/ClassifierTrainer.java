package dev.pin.models.train;

import dev.pin.models.onnx.EncoderSpec;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.models.onnx.SequenceClassifierGraph;
import dev.pin.models.onnx.Weights;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.ort.SequenceEncoder;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.models.writer.EncoderModelWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Fits a style classifier (ALGORITHMS.md §6.2: "Style = P(target style | y) from a style
 * classifier") on a frozen BERT-family encoder: features are the encoder's final hidden states
 * averaged over the attention mask (special tokens included, exactly what the written graph
 * computes), the head is multinomial logistic regression with an L2 penalty, fitted by
 * full-batch gradient descent on standardised features (deterministic: the seed only draws the
 * subsample). The standardisation is folded into the linear layer, and encoder + head are
 * written as one {@code bert-cls}/{@code roberta-cls} graph ({@link
 * SequenceClassifierGraph.Head#MEAN_POOL_LINEAR}) with the labels in the manifest, which the
 * reward service loads as a classifier.
 */
public final class ClassifierTrainer {

  /**
   * Training settings.
   *
   * @param maxPerLabel sentences drawn per label from its files (0 = all)
   * @param l2 L2 penalty λ on the standardised weights (loss = mean NLL + λ/2·|W|²)
   * @param iterations gradient steps
   * @param learningRate step size (standardised features keep it model-independent)
   * @param seed draws the subsample
   * @param batch sequences per encoder forward
   */
  public record Options(int maxPerLabel, double l2, int iterations, double learningRate,
      long seed, int batch) {
    /** 2 000 sentences per label, λ = 1e-3, 300 steps of 0.5, seed 42, batches of 32. */
    public static Options defaults() {
      return new Options(2000, 1e-3, 300, 0.5, 42, 32);
    }
  }

  /**
   * The outcome.
   *
   * @param model the written classifier
   * @param trainSentences sentences the head was fitted on
   * @param trainAccuracy accuracy of the fitted head on them
   * @param devSentences sentences evaluated through the written graph (0 without dev data)
   * @param devAccuracy accuracy of the written model on them (NaN without dev data)
   */
  public record Result(ModelDir model, int trainSentences, double trainAccuracy,
      int devSentences, double devAccuracy) {}

  private final ModelDir encoder;
  private final OrtConfig ort;
  private final Options options;
  private final Consumer<String> log;

  /**
   * A trainer on {@code encoder} (any BERT-family model directory).
   *
   * @param log progress lines
   */
  public ClassifierTrainer(ModelDir encoder, OrtConfig ort, Options options, Consumer<String> log) {
    if (!encoder.manifest().isEncoder()) {
      throw new IllegalArgumentException("model " + encoder.name() + " ("
          + encoder.manifest().architecture() + ") is not a BERT-family encoder");
    }
    this.encoder = encoder;
    this.ort = ort;
    this.options = options;
    this.log = log;
  }

  /**
   * Fits the head on {@code train} (label → sentences, in label order) and writes model
   * {@code name} into {@code dir}; then measures the written model on {@code dev} (may be empty).
   */
  public Result train(Map<String, List<String>> train, Map<String, List<String>> dev, Path dir,
      String name) throws IOException {
    List<String> labels = new ArrayList<>(train.keySet());
    if (labels.size() < 2) {
      throw new IllegalArgumentException("need sentences of at least 2 labels, got " + labels);
    }
    List<String> texts = new ArrayList<>();
    List<Integer> y = new ArrayList<>();
    Random r = new Random(options.seed());
    for (int c = 0; c < labels.size(); c++) {
      List<String> s = new ArrayList<>(train.get(labels.get(c)));
      if (s.isEmpty()) {
        throw new IllegalArgumentException("label " + labels.get(c) + " has no sentences");
      }
      if (options.maxPerLabel() > 0 && s.size() > options.maxPerLabel()) {
        Collections.shuffle(s, r);
        s = s.subList(0, options.maxPerLabel());
      }
      texts.addAll(s);
      for (int i = 0; i < s.size(); i++) {
        y.add(c);
      }
    }
    try (OrtSessions sessions = new OrtSessions()) {
      SequenceEncoder enc = SequenceEncoder.hiddenStates(encoder, 0, ort, sessions);
      long t0 = System.nanoTime();
      float[][] x = features(enc, texts);
      log.accept(String.format("encoded %d sentences in %.1f s", texts.size(),
          (System.nanoTime() - t0) / 1e9));
      int[] labelsOf = y.stream().mapToInt(Integer::intValue).toArray();
      Head head = fit(x, labelsOf, labels.size());
      double trainAcc = accuracy(head.predict(x), labelsOf);
      log.accept(String.format("fitted the head: train accuracy %.4f", trainAcc));
      ModelDir written = write(head, labels, dir, name, texts.size());
      int devN = 0;
      double devAcc = Double.NaN;
      if (!dev.isEmpty()) {
        SequenceEncoder cls = SequenceEncoder.classifier(written, ort, sessions);
        int correct = 0;
        for (Map.Entry<String, List<String>> e : dev.entrySet()) {
          int c = labels.indexOf(e.getKey());
          if (c < 0) {
            throw new IllegalArgumentException("dev label " + e.getKey() + " is not among the"
                + " training labels " + labels);
          }
          for (float[] logits : logitsOf(cls, e.getValue())) {
            correct += argmax(logits) == c ? 1 : 0;
          }
          devN += e.getValue().size();
        }
        devAcc = (double) correct / devN;
        log.accept(String.format("written model on %d dev sentences: accuracy %.4f", devN,
            devAcc));
      }
      return new Result(written, texts.size(), trainAcc, devN, devAcc);
    }
  }

  /** Logits of the written classifier for {@code texts}, batched by length. */
  List<float[]> logitsOf(SequenceEncoder cls, List<String> texts) throws IOException {
    return batched(cls.tokenizer(), texts, cls.model().manifest().maxPositions(),
        batch -> List.of(cls.logits(batch)));
  }

  /** Masked mean of the final hidden states, one row per text. */
  float[][] features(SequenceEncoder enc, List<String> texts) throws IOException {
    List<float[]> rows = batched(enc.tokenizer(), texts, enc.model().manifest().maxPositions(),
        batch -> {
          List<float[]> out = new ArrayList<>();
          for (float[][] seq : enc.hiddenStates(batch)) {
            float[] mean = new float[seq[0].length];
            for (float[] v : seq) {
              for (int j = 0; j < mean.length; j++) {
                mean[j] += v[j];
              }
            }
            for (int j = 0; j < mean.length; j++) {
              mean[j] /= seq.length;
            }
            out.add(mean);
          }
          return out;
        });
    return rows.toArray(new float[0][]);
  }

  private interface BatchFn {
    List<float[]> run(List<int[]> batch) throws IOException;
  }

  private List<float[]> batched(TextTokenizer tok, List<String> texts, int maxLen, BatchFn fn)
      throws IOException {
    List<int[]> ids = new ArrayList<>(texts.size());
    for (String t : texts) {
      int[] e = tok.encode(t);
      if (e.length > maxLen) {
        int[] cut = java.util.Arrays.copyOf(e, maxLen);
        cut[maxLen - 1] = e[e.length - 1];
        e = cut;
      }
      ids.add(e);
    }
    Integer[] order = new Integer[ids.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> ids.get(i).length));
    float[][] out = new float[ids.size()][];
    for (int from = 0; from < order.length; from += options.batch()) {
      int to = Math.min(order.length, from + options.batch());
      List<int[]> chunk = new ArrayList<>();
      for (int k = from; k < to; k++) {
        chunk.add(ids.get(order[k]));
      }
      List<float[]> res = fn.run(chunk);
      for (int k = from; k < to; k++) {
        out[order[k]] = res.get(k - from);
      }
    }
    return java.util.Arrays.asList(out);
  }

  /**
   * A linear head on raw features: {@code logits = x · kernel + bias}, kernel {@code [d][C]}.
   */
  record Head(float[][] kernel, float[] bias) {
    float[][] predict(float[][] x) {
      float[][] out = new float[x.length][bias.length];
      for (int i = 0; i < x.length; i++) {
        for (int c = 0; c < bias.length; c++) {
          double s = bias[c];
          for (int j = 0; j < kernel.length; j++) {
            s += x[i][j] * kernel[j][c];
          }
          out[i][c] = (float) s;
        }
      }
      return out;
    }
  }

  /**
   * Multinomial logistic regression with L2 on standardised features, by full-batch gradient
   * descent; the standardisation is then folded in: {@code W' = W/σ}, {@code b' = b − Σ μ W/σ}.
   */
  Head fit(float[][] x, int[] y, int classes) {
    int n = x.length;
    int d = x[0].length;
    double[] mu = new double[d];
    double[] sigma = new double[d];
    for (float[] row : x) {
      for (int j = 0; j < d; j++) {
        mu[j] += row[j] / (double) n;
      }
    }
    for (float[] row : x) {
      for (int j = 0; j < d; j++) {
        sigma[j] += (row[j] - mu[j]) * (row[j] - mu[j]) / n;
      }
    }
    for (int j = 0; j < d; j++) {
      sigma[j] = Math.sqrt(sigma[j]) + 1e-6;
    }
    double[][] z = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        z[i][j] = (x[i][j] - mu[j]) / sigma[j];
      }
    }
    double[][] w = new double[d][classes];
    double[] b = new double[classes];
    double lr = options.learningRate();
    double[][] p = new double[n][classes];
    for (int it = 0; it < options.iterations(); it++) {
      for (int i = 0; i < n; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
          double s = b[c];
          for (int j = 0; j < d; j++) {
            s += z[i][j] * w[j][c];
          }
          p[i][c] = s;
          max = Math.max(max, s);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
          p[i][c] = Math.exp(p[i][c] - max);
          sum += p[i][c];
        }
        for (int c = 0; c < classes; c++) {
          p[i][c] = p[i][c] / sum - (y[i] == c ? 1 : 0); // dNLL/dlogit
        }
      }
      double[][] gw = new double[d][classes];
      double[] gb = new double[classes];
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < classes; c++) {
          gb[c] += p[i][c] / n;
        }
        for (int j = 0; j < d; j++) {
          double zij = z[i][j] / n;
          for (int c = 0; c < classes; c++) {
            gw[j][c] += zij * p[i][c];
          }
        }
      }
      for (int c = 0; c < classes; c++) {
        b[c] -= lr * gb[c];
        for (int j = 0; j < d; j++) {
          w[j][c] -= lr * (gw[j][c] + options.l2() * w[j][c]);
        }
      }
    }
    float[][] kernel = new float[d][classes];
    float[] bias = new float[classes];
    for (int c = 0; c < classes; c++) {
      double bc = b[c];
      for (int j = 0; j < d; j++) {
        kernel[j][c] = (float) (w[j][c] / sigma[j]);
        bc -= mu[j] * w[j][c] / sigma[j];
      }
      bias[c] = (float) bc;
    }
    return new Head(kernel, bias);
  }

  private ModelDir write(Head head, List<String> labels, Path dir, String name, int sentences)
      throws IOException {
    OnnxWeights encoderWeights = OnnxWeights.read(encoder.modelFile());
    EncoderSpec spec = EncoderSpec.of(encoder, encoderWeights);
    int d = head.kernel().length;
    int c = head.bias().length;
    float[] k = new float[d * c];
    for (int j = 0; j < d; j++) {
      System.arraycopy(head.kernel()[j], 0, k, j * c, c);
    }
    FloatTensor kernel = FloatTensor.of(k, d, c);
    FloatTensor bias = FloatTensor.of(head.bias(), c);
    String kName = SequenceClassifierGraph.CLASSIFIER + "/kernel";
    String bName = SequenceClassifierGraph.CLASSIFIER + "/bias";
    Weights weights = n -> n.equals(kName) ? kernel : n.equals(bName) ? bias
        : encoderWeights.get(n);
    ModelManifest m = encoder.manifest();
    EncoderModelWriter.TokenizerFiles tok = m.files().containsKey("vocab")
        ? EncoderModelWriter.TokenizerFiles.wordPiece(
            java.nio.file.Files.readAllLines(encoder.vocabFile()), m.doLowerCase())
        : EncoderModelWriter.TokenizerFiles.byteLevel(encoder.dir().resolve(m.file("tokenizer")));
    Map<String, String> source = new LinkedHashMap<>();
    source.put("kind", "trained-classifier");
    source.put("encoder", encoder.name());
    source.put("encoder_sha256", m.modelSha256());
    source.put("features", "mean of final hidden states over the attention mask");
    source.put("train_sentences", Integer.toString(sentences));
    source.put("options", options.toString());
    source.put("converted_by", ClassifierTrainer.class.getName());
    source.put("trained_at", Instant.now().toString());
    return EncoderModelWriter.writeClassifier(dir, name, spec, weights,
        SequenceClassifierGraph.Head.MEAN_POOL_LINEAR, labels, tok, source);
  }

  static double accuracy(float[][] logits, int[] y) {
    int correct = 0;
    for (int i = 0; i < y.length; i++) {
      correct += argmax(logits[i]) == y[i] ? 1 : 0;
    }
    return (double) correct / y.length;
  }

  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
