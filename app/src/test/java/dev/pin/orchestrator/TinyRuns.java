package dev.pin.orchestrator;

import dev.pin.models.testing.TinyModels;
import dev.pin.v1.Budget;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluationConfig;
import dev.pin.v1.FewShotData;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.RunSpec;
import dev.pin.v1.TaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the end-to-end tests train on: a tiny random BERT ({@code tiny-bert}, policy backbone and
 * task model at once) and eight labelled sentences as train, dev and test split.
 */
public final class TinyRuns {
  static final String[][] SENTENCES = {
      {"a great movie", "1"}, {"the best film", "1"}, {"really fun acting", "1"},
      {"i love this story", "1"}, {"a terrible plot", "0"}, {"the worst acting", "0"},
      {"so boring", "0"}, {"i hate this movie", "0"}};

  private TinyRuns() {}

  /**
   * The configuration of an embedded ensemble on {@code home}: its model store, checkpoints, run
   * store and data there, and no metrics ports.
   */
  public static dev.pin.kit.config.Config ensembleConfig(Path home) {
    return dev.pin.kit.config.Config.of(java.util.Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "orchestrator.store-url", "jdbc:sqlite:" + home.resolve("runs.db"),
        "orchestrator.data-dir", home.toString(),
        "orchestrator.metrics-port", "-1", "policy.metrics-port", "-1",
        "reward.metrics-port", "-1", "scorer.metrics-port", "-1"));
  }

  /**
   * An embedded ensemble on {@code home} over {@link #write}'s model and data (plus {@code
   * tiny-gpt2}, the causal LM the scorer reads prompts with), started and ready, with a blocking
   * stub of its orchestrator; closing it stops both.
   */
  public record Ensemble(dev.pin.app.EmbeddedEnsemble ensemble, io.grpc.ManagedChannel channel,
      dev.pin.v1.OrchestratorGrpc.OrchestratorBlockingStub orchestrator) implements AutoCloseable {
    public static Ensemble start(Path home, String name) throws Exception {
      write(home);
      TinyModels.gpt2Clm(home.resolve("models").resolve("tiny-gpt2"), 3);
      dev.pin.app.EmbeddedEnsemble ensemble = dev.pin.app.EmbeddedEnsemble.create(
          ensembleConfig(home), name + "-" + java.util.UUID.randomUUID(), false);
      ensemble.start();
      if (!ensemble.awaitReady(30, java.util.concurrent.TimeUnit.SECONDS)) {
        ensemble.close();
        throw new IllegalStateException("the tiny ensemble was not ready within 30 s");
      }
      io.grpc.ManagedChannel channel = io.grpc.inprocess.InProcessChannelBuilder
          .forName(ensemble.inProcessName("orchestrator")).build();
      return new Ensemble(ensemble, channel,
          dev.pin.v1.OrchestratorGrpc.newBlockingStub(channel));
    }

    /** A run's events from WatchRun until the stream ends (at most 180 s). */
    public java.util.List<dev.pin.v1.RunEvent> watch(String runId) {
      java.util.List<dev.pin.v1.RunEvent> events = new java.util.ArrayList<>();
      orchestrator.withDeadlineAfter(180, java.util.concurrent.TimeUnit.SECONDS)
          .watchRun(dev.pin.v1.WatchRunRequest.newBuilder().setRunId(runId).build())
          .forEachRemaining(events::add);
      return events;
    }

    @Override
    public void close() {
      channel.shutdownNow();
      ensemble.close();
    }
  }

  /** The step metrics among {@code events}, in order. */
  public static java.util.List<dev.pin.v1.StepMetrics> steps(
      java.util.List<dev.pin.v1.RunEvent> events) {
    return events.stream().filter(dev.pin.v1.RunEvent::hasStep).map(dev.pin.v1.RunEvent::getStep)
        .toList();
  }

  /** {@code home/models/tiny-bert} and the few-shot layout under {@code home/data}. */
  public static void write(Path home) throws IOException {
    TinyModels.bertMlm(home.resolve("models").resolve("tiny-bert"), 3);
    writeData(home.resolve("data"));
  }

  public static void writeData(Path dir) throws IOException {
    StringBuilder tsv = new StringBuilder("sentence\tlabel\n");
    for (String[] s : SENTENCES) {
      tsv.append(s[0]).append('\t').append(s[1]).append('\n');
    }
    Files.createDirectories(dir.resolve("16-1"));
    Files.writeString(dir.resolve("16-1/train.tsv"), tsv);
    Files.writeString(dir.resolve("16-1/dev.tsv"), tsv);
    Files.writeString(dir.resolve("test.tsv"), tsv);
  }

  /**
   * A classification run of {@code steps} steps, 4 prompts each, evaluated and checkpointed every
   * 4 steps; PIN fills a small replay buffer (warm-up 8) instead of §8's 256.
   */
  public static RunSpec spec(Method method, long steps) {
    PolicyConfig.Builder policy = PolicyConfig.newBuilder()
        .setBackbone(ModelRef.newBuilder().setName("tiny-bert")).setMlpHiddenSize(32);
    if (method == Method.METHOD_PIN) {
      policy.setReplay(ReplayConfig.newBuilder().setEnabled(true).setCapacity(256).setWarmup(8)
          .setBatchSize(8));
    }
    return RunSpec.newBuilder()
        .setName("e2e-" + method)
        .setMethod(method)
        .setSeed(5)
        .setTask(TaskSpec.newBuilder().setClassification(ClassificationTask.newBuilder()
            .setTaskModel(ModelRef.newBuilder().setName("tiny-bert"))
            .addVerbalizers("terrible").addVerbalizers("great")
            .setData(DataSource.newBuilder().setFewShot(FewShotData.newBuilder()
                .setDir("data").setSplitSeed(1)))))
        .setPolicy(policy)
        .setPromptsPerStep(4)
        .setBudget(Budget.newBuilder().setMaxSteps(steps))
        .setEvaluation(EvaluationConfig.newBuilder().setEverySteps(4).setTopPrompts(2))
        .setCheckpointEverySteps(4)
        .build();
  }
}
