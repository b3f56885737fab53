package dev.pin.policy.algorithm;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.pin.policy.qnet.Adam;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.qnet.QNetwork;
import dev.pin.policy.replay.Episode;
import dev.pin.policy.replay.ReplayBuffer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * What both algorithms share and neither defines: the Q-network and its optimiser, the seeded RNG,
 * the replay buffer, the cache of sampled hidden states, the autograd step and the checkpoint
 * format. The algorithm classes hold the math; this class holds the plumbing.
 */
final class PolicyCore implements AutoCloseable {

  /** DJL's PtGradientCollector is process-global: one gradient step at a time, across policies. */
  static final ReentrantLock AUTOGRAD = new ReentrantLock();

  /** Sampled prompts whose hidden states are kept for the next update (oldest evicted first). */
  static final int SAMPLE_CACHE = 2048;

  private static final int MAGIC = 0x50494E43; // "PINC"
  private static final int VERSION = 1;

  final PolicyHyperparameters hp;
  final Backbone backbone;
  final ActionSpace actionSpace;
  final NDManager manager;
  final NDArray allowed;
  final boolean[] allowedMask;
  final QNetwork qnet;
  final Adam adam;
  final PolicyRng rng;
  final ReplayBuffer replay;
  private final Map<Long, Episode> sampleCache = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Episode> eldest) {
      return size() > SAMPLE_CACHE;
    }
  };
  private long nextSampleId = 1;
  private long step;

  /** A state's token chooser: row {@code b} of the batch, whose prompt so far is {@code prefix}. */
  interface RowChooser {
    Choice choose(int b, int[] prefix);
  }

  /** One token choice at one state. */
  record Choice(int token, float q, float logProb, double entropy, int support, double qSpread) {}

  /** A batch as tensors: hidden [N,T,d], actions [N,T] int64, rewards [N]. */
  record Tensors(NDArray hidden, NDArray actions, NDArray rewards) {}

  PolicyCore(PolicyHyperparameters hp, Backbone backbone, Device device) {
    this.hp = hp;
    this.backbone = backbone;
    this.actionSpace = ActionSpace.of(backbone, hp.wordsOnly());
    // The backbone's heads must live on the same device: every operand of an op shares one.
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.allowed = actionSpace.mask(manager);
    this.allowedMask = actionSpace.mask();
    this.qnet = new QNetwork(manager, backbone.head(), hp.mlpHiddenSize(), hp.initGain(),
        hp.initBias(), hp.seed() ^ 0x51_4E_45_54L);
    this.adam = new Adam(manager, qnet.parameters(), hp.learningRate(), hp.beta1(), hp.beta2(),
        hp.epsilon(), hp.maxGradNorm());
    this.rng = new PolicyRng(hp.seed());
    this.replay = hp.replayEnabled() ? new ReplayBuffer(hp.replayCapacity()) : null;
  }

  // ---- sampling ----

  /** h_t of every row's prefix z_0 … z_{t−1}: one backbone call for the batch. */
  float[][] hiddenStates(int[][] tokens, int t) {
    List<int[]> prefixes = new ArrayList<>(tokens.length);
    for (int[] row : tokens) {
      prefixes.add(java.util.Arrays.copyOf(row, t));
    }
    float[][] h = backbone.hiddenStates(prefixes);
    if (h.length != tokens.length) {
      throw new IllegalStateException("backbone returned " + h.length + " hidden states for "
          + tokens.length + " prefixes");
    }
    return h;
  }

  /**
   * One rollout of B prompts, token by token (§1: s_t = the prefix z_0 … z_{t−1}): at each t the
   * backbone encodes every row's prefix in one batch, {@code policyAt} turns those hidden states
   * into the state's token chooser (the algorithm's distribution and its draw or argmax), and the
   * choices extend the prefixes. The hidden states are cached for the update.
   */
  SampleBatch rollout(int batchSize, Function<float[][], RowChooser> policyAt) {
    int steps = hp.promptLength();
    int d = qnet.hiddenSize();
    int[][] tokens = new int[batchSize][steps];
    float[][] hidden = new float[batchSize][steps * d];
    float[][] qValues = new float[batchSize][steps];
    float[][] logProbs = new float[batchSize][steps];
    double entropySum = 0;
    double supportSum = 0;
    double spreadSum = 0;
    for (int t = 0; t < steps; t++) {
      float[][] h = hiddenStates(tokens, t);
      RowChooser choose = policyAt.apply(h);
      for (int b = 0; b < batchSize; b++) {
        System.arraycopy(h[b], 0, hidden[b], t * d, d);
        Choice c = choose.choose(b, java.util.Arrays.copyOf(tokens[b], t));
        tokens[b][t] = c.token();
        qValues[b][t] = c.q();
        logProbs[b][t] = c.logProb();
        entropySum += c.entropy();
        supportSum += c.support();
        spreadSum += c.qSpread();
      }
    }
    return finish(tokens, hidden, qValues, logProbs, entropySum, supportSum, spreadSum);
  }

  /** Rows as one [rows, d] array in the current scope. */
  NDArray toNd(float[][] rows) {
    int d = qnet.hiddenSize();
    float[] flat = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * d, d);
    }
    return manager.create(flat, new Shape(rows.length, d));
  }

  /** A draw from the distribution {@code p} over {@code candidates}, by the policy's RNG. */
  int draw(int[] candidates, double[] p) {
    double u = rng.nextDouble();
    double cumulative = 0;
    int last = -1;
    for (int i = 0; i < p.length; i++) {
      if (p[i] > 0) {
        cumulative += p[i];
        last = i;
        if (u < cumulative) {
          return candidates[i];
        }
      }
    }
    return candidates[last]; // u fell in the rounding gap at the top
  }

  /** Caches the rollouts' hidden states under fresh sample ids and packs the answer. */
  private SampleBatch finish(int[][] tokens, float[][] hidden, float[][] qValues, float[][] logProbs,
      double entropySum, double supportSum, double spreadSum) {
    List<SampleBatch.SampledPrompt> prompts = new ArrayList<>(tokens.length);
    for (int b = 0; b < tokens.length; b++) {
      long id = nextSampleId++;
      sampleCache.put(id, new Episode(tokens[b], hidden[b], 0f));
      prompts.add(new SampleBatch.SampledPrompt(id, tokens[b].clone(), qValues[b], logProbs[b]));
    }
    double states = (double) tokens.length * hp.promptLength();
    return new SampleBatch(prompts, entropySum / states, supportSum / states, spreadSum / states);
  }

  /** Population standard deviation of the Q values a state's policy chose among. */
  static double spread(double[] q) {
    double mean = 0;
    for (double v : q) {
      mean += v;
    }
    mean /= Math.max(1, q.length);
    double var = 0;
    for (double v : q) {
      var += (v - mean) * (v - mean);
    }
    return Math.sqrt(var / Math.max(1, q.length));
  }

  // ---- updates ----

  /** Episodes with hidden states: from the sample cache, else one backbone pass per step t. */
  List<Episode> episodes(List<RewardedTokens> prompts) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompts to learn from");
    }
    int steps = hp.promptLength();
    Episode[] out = new Episode[prompts.size()];
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      RewardedTokens p = prompts.get(i);
      Episode cached = p.sampleId() != 0 ? sampleCache.get(p.sampleId()) : null;
      if (cached != null) {
        out[i] = cached.withReward(p.reward());
        continue;
      }
      int[] ids = p.tokenIds();
      if (ids == null || ids.length == 0) {
        throw new IllegalArgumentException("sample " + p.sampleId()
            + " is not cached (unknown or evicted); send its token ids");
      }
      if (ids.length != steps) {
        throw new IllegalArgumentException("prompt has " + ids.length + " tokens, expected T = "
            + steps);
      }
      for (int id : ids) {
        if (!actionSpace.allows(id)) {
          throw new IllegalArgumentException("token id " + id + " is outside the action space");
        }
      }
      missing.add(i);
    }
    if (!missing.isEmpty()) {
      int[][] tokens = new int[missing.size()][];
      for (int j = 0; j < tokens.length; j++) {
        tokens[j] = prompts.get(missing.get(j)).tokenIds().clone();
      }
      int d = qnet.hiddenSize();
      // Every prefix of every prompt is known up front, so all N·T states go to the backbone in
      // one batch rather than one call per step t.
      List<int[]> prefixes = new ArrayList<>(tokens.length * steps);
      for (int[] row : tokens) {
        for (int t = 0; t < steps; t++) {
          prefixes.add(java.util.Arrays.copyOf(row, t));
        }
      }
      float[][] h = backbone.hiddenStates(prefixes);
      if (h.length != prefixes.size()) {
        throw new IllegalStateException("backbone returned " + h.length + " hidden states for "
            + prefixes.size() + " prefixes");
      }
      float[][] hidden = new float[tokens.length][steps * d];
      for (int j = 0; j < tokens.length; j++) {
        for (int t = 0; t < steps; t++) {
          System.arraycopy(h[j * steps + t], 0, hidden[j], t * d, d);
        }
      }
      for (int j = 0; j < tokens.length; j++) {
        int i = missing.get(j);
        out[i] = new Episode(tokens[j], hidden[j], prompts.get(i).reward());
      }
    }
    // Only now, with the whole request valid, are the used samples dropped from the cache.
    for (RewardedTokens p : prompts) {
      sampleCache.remove(p.sampleId());
    }
    return List.of(out);
  }

  /**
   * The batch to learn from: on-policy the episodes themselves; off-policy they are pushed into the
   * replay buffer and {@code replayBatchSize} are drawn with replacement, or null while warming up.
   */
  List<Episode> batch(List<Episode> episodes) {
    if (replay == null) {
      return episodes;
    }
    for (Episode e : episodes) {
      replay.add(e);
    }
    if (replay.size() < Math.max(1, hp.replayWarmup())) {
      return null;
    }
    return replay.sample(hp.replayBatchSize(), rng::nextInt);
  }

  /**
   * The batch of a further gradient step in the same Update ({@code replay.updates_per_step}): a
   * fresh draw from the replay buffer, or on-policy the same episodes again.
   */
  List<Episode> redraw(List<Episode> episodes) {
    return replay == null ? episodes : replay.sample(hp.replayBatchSize(), rng::nextInt);
  }

  /** The batch as tensors in the current NDScope. */
  Tensors tensors(List<Episode> batch) {
    int n = batch.size();
    int steps = hp.promptLength();
    int d = qnet.hiddenSize();
    float[] hidden = new float[n * steps * d];
    long[] actions = new long[n * steps];
    float[] rewards = new float[n];
    for (int i = 0; i < n; i++) {
      Episode e = batch.get(i);
      System.arraycopy(e.hidden(), 0, hidden, i * steps * d, steps * d);
      for (int t = 0; t < steps; t++) {
        actions[i * steps + t] = e.tokens()[t];
      }
      rewards[i] = e.reward();
    }
    return new Tensors(manager.create(hidden, new Shape(n, steps, d)),
        manager.create(actions, new Shape(n, steps)), manager.create(rewards));
  }

  /**
   * One Adam step on the loss {@code lossOf(θ)}: autograd through fresh copies of θ, global-norm
   * clipping, in-place update of θ. Call inside an NDScope.
   */
  UpdateResult gradientStep(Function<List<NDArray>, LossTerms> lossOf) {
    AUTOGRAD.lock();
    try {
      List<NDArray> theta = qnet.trainableCopies();
      LossTerms terms;
      NDArray loss;
      try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        terms = lossOf.apply(theta);
        loss = terms.loss();
        collector.backward(loss);
      }
      List<NDArray> grads = new ArrayList<>(theta.size());
      for (NDArray p : theta) {
        grads.add(p.getGradient());
      }
      double gradNorm = adam.step(qnet.parameters(), grads);
      step++;
      return new UpdateResult(step, true, loss.getFloat(), gradNorm,
          terms.qTaken().mean().getFloat(),
          terms.values() == null ? Double.NaN : terms.values().mean().getFloat(), replaySize());
    } finally {
      AUTOGRAD.unlock();
    }
  }

  /** The answer while the replay buffer warms up. */
  UpdateResult skipped() {
    return new UpdateResult(step, false, 0, 0, 0, 0, replaySize());
  }

  /** Native arrays alive under this policy's manager (tests use it to catch leaks). */
  int liveArrays() {
    return manager.getManagedArrays().size();
  }

  long step() {
    return step;
  }

  int replaySize() {
    return replay == null ? 0 : replay.size();
  }

  // ---- checkpoints ----

  void save(OutputStream stream) throws IOException {
    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream, 1 << 16));
    out.writeInt(MAGIC);
    out.writeInt(VERSION);
    out.writeUTF(hp.algorithm().name());
    out.writeInt(hp.promptLength());
    out.writeInt(qnet.hiddenSize());
    out.writeInt(actionSpace.vocabSize());
    out.writeInt(hp.mlpHiddenSize());
    out.writeLong(step);
    out.writeLong(rng.state());
    out.writeLong(nextSampleId);
    qnet.write(out);
    adam.write(out);
    out.writeBoolean(replay != null);
    if (replay != null) {
      replay.write(out);
    }
    out.writeInt(sampleCache.size());
    for (Map.Entry<Long, Episode> e : sampleCache.entrySet()) {
      out.writeLong(e.getKey());
      ReplayBuffer.writeEpisode(out, e.getValue());
    }
    out.flush();
  }

  void load(InputStream stream) throws IOException {
    DataInputStream in = new DataInputStream(new BufferedInputStream(stream, 1 << 16));
    if (in.readInt() != MAGIC || in.readInt() != VERSION) {
      throw new IOException("not a policy checkpoint (or an unsupported version)");
    }
    String algorithm = in.readUTF();
    int steps = in.readInt();
    int d = in.readInt();
    int vocab = in.readInt();
    int mlpHidden = in.readInt();
    if (!algorithm.equals(hp.algorithm().name()) || steps != hp.promptLength()
        || d != qnet.hiddenSize() || vocab != actionSpace.vocabSize()
        || mlpHidden != hp.mlpHiddenSize()) {
      throw new IOException("checkpoint is for " + algorithm + " T=" + steps + " d=" + d + " |V|="
          + vocab + " H=" + mlpHidden + ", not this policy's settings");
    }
    step = in.readLong();
    rng.setState(in.readLong());
    nextSampleId = in.readLong();
    qnet.read(in);
    adam.read(in);
    boolean hasReplay = in.readBoolean();
    if (hasReplay != (replay != null)) {
      throw new IOException("checkpoint and settings disagree on the replay buffer");
    }
    if (replay != null) {
      replay.read(in);
    }
    sampleCache.clear();
    int cached = in.readInt();
    for (int i = 0; i < cached; i++) {
      long id = in.readLong();
      sampleCache.put(id, ReplayBuffer.readEpisode(in));
    }
  }

  @Override
  public void close() {
    qnet.close();
    adam.close();
    manager.close();
  }
}
