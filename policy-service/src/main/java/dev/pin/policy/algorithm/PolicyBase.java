package dev.pin.policy.algorithm;

import ai.djl.Device;
import dev.pin.policy.qnet.Backbone;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The bookkeeping half of a {@link PromptPolicy} that both algorithms share word for word:
 * settings, step and replay counts, sizes, checkpoints and closing, all answered by the {@link
 * PolicyCore}. The subclasses hold the math (sample, target, loss, step, sync target); methods
 * that touch the core are synchronized on the policy, as theirs are.
 */
abstract class PolicyBase implements PromptPolicy {

  final PolicyHyperparameters hp;
  final PolicyCore core;

  PolicyBase(PolicyHyperparameters hp, PolicyHyperparameters.Algorithm algorithm,
      Backbone backbone, Device device) {
    if (hp.algorithm() != algorithm) {
      throw new IllegalArgumentException(getClass().getSimpleName() + " needs algorithm "
          + algorithm);
    }
    this.hp = hp;
    this.core = new PolicyCore(hp, backbone, device);
  }

  /** Native arrays alive under this policy (for leak tests). */
  synchronized int liveArrays() {
    return core.liveArrays();
  }

  @Override
  public PolicyHyperparameters hyperparameters() {
    return hp;
  }

  @Override
  public synchronized long step() {
    return core.step();
  }

  @Override
  public synchronized int replaySize() {
    return core.replaySize();
  }

  @Override
  public int actionSpaceSize() {
    return core.actionSpace.size();
  }

  @Override
  public long trainableParameters() {
    return core.qnet.trainableParameters();
  }

  @Override
  public synchronized void save(OutputStream out) throws IOException {
    core.save(out);
  }

  @Override
  public synchronized void load(InputStream in) throws IOException {
    core.load(in);
  }

  @Override
  public synchronized void close() {
    core.close();
  }
}
