package dev.pin.policy.algorithm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a policy owns besides its math, the same for both algorithms: the Q-network θ with its
 * target θ̄ (§2), Adam, the seeded RNG, the replay buffer (§4.4), the sampled hidden states and
 * the step count, the plumbing that turns prompts into a batch of tensors, and the checkpoint
 * format. The algorithm classes call these plain methods in the order of their math; nothing here
 * calls back.
 */
final class PolicyState implements AutoCloseable {

  /** DJL's PtGradientCollector is process-global: one gradient step at a time, across policies. */
  static final ReentrantLock AUTOGRAD = new ReentrantLock();

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
  final ReplayBuffer replay; // null when on-policy
  final SampleCache samples;
  private long step;

  /** A batch as tensors: hidden [N,T,d], actions [N,T] int64, rewards [N]. */
  record Tensors(NDArray hidden, NDArray actions, NDArray rewards) {}

  PolicyState(PolicyHyperparameters hp, Backbone backbone, Device device) {
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
    this.samples = new SampleCache(backbone, actionSpace, hp.promptLength(), qnet.hiddenSize());
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

  // ---- the batch of an update ----

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

  // ---- the gradient step's bookkeeping ----

  /** ∂loss/∂θ, which the backward pass left on the trainable copies of θ. */
  static List<NDArray> gradients(List<NDArray> theta) {
    List<NDArray> grads = new ArrayList<>(theta.size());
    for (NDArray p : theta) {
      grads.add(p.getGradient());
    }
    return grads;
  }

  /** Counts the gradient step just taken and reports it. */
  UpdateResult stepTaken(NDArray loss, double gradNorm, LossTerms terms) {
    step++;
    return new UpdateResult(step, true, loss.getFloat(), gradNorm,
        terms.qTaken().mean().getFloat(),
        terms.values() == null ? Double.NaN : terms.values().mean().getFloat(), replaySize());
  }

  /** The answer while the replay buffer warms up. */
  UpdateResult skipped() {
    return new UpdateResult(step, false, 0, 0, 0, 0, replaySize());
  }

  long step() {
    return step;
  }

  int replaySize() {
    return replay == null ? 0 : replay.size();
  }

  /** Native arrays alive under this policy's manager (tests use it to catch leaks). */
  int liveArrays() {
    return manager.getManagedArrays().size();
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
    out.writeLong(samples.nextId());
    qnet.write(out);
    adam.write(out);
    out.writeBoolean(replay != null);
    if (replay != null) {
      replay.write(out);
    }
    samples.write(out);
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
    samples.setNextId(in.readLong());
    qnet.read(in);
    adam.read(in);
    boolean hasReplay = in.readBoolean();
    if (hasReplay != (replay != null)) {
      throw new IOException("checkpoint and settings disagree on the replay buffer");
    }
    if (replay != null) {
      replay.read(in);
    }
    samples.read(in);
  }

  @Override
  public void close() {
    qnet.close();
    adam.close();
    manager.close();
  }
}
