package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.JsonFormat;
import dev.pin.app.EmbeddedEnsemble;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunView;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy's and the task's defaults come from the services that read the real models, and the
 * run stores the effective config they return (issue #15): not BERT's facts for every backbone.
 */
class ServiceDefaultsTest {
  @TempDir Path home;
  private EmbeddedEnsemble ensemble;
  private ManagedChannel channel;
  private OrchestratorGrpc.OrchestratorBlockingStub orchestrator;

  @BeforeEach
  void setUp() throws Exception {
    TinyRuns.write(home);
    Path gpt2 = home.resolve("models").resolve("tiny-gpt2");
    TinyModels.gpt2Clm(gpt2, 3);
    mergeLabelWords(gpt2.resolve("tokenizer.json"));
    ensemble = EmbeddedEnsemble.create(TinyRuns.ensembleConfig(home),
        "defaults-" + UUID.randomUUID(), false);
    ensemble.start();
    assertTrue(ensemble.awaitReady(30, TimeUnit.SECONDS));
    channel = InProcessChannelBuilder.forName(ensemble.inProcessName("orchestrator")).build();
    orchestrator = OrchestratorGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void tearDown() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (ensemble != null) {
      ensemble.close();
    }
  }

  /**
   * Makes " n" and " y" single tokens of the tiny byte-level GPT-2 (in place of the bytes 0x01 and
   * 0x02), so that they can be verbalizers under the causal template, which puts a space before
   * the label word (§6.1).
   */
  private static void mergeLabelWords(Path tokenizer) throws Exception {
    JsonObject root = JsonParser.parseString(Files.readString(tokenizer)).getAsJsonObject();
    JsonObject model = root.getAsJsonObject("model");
    JsonObject vocab = model.getAsJsonObject("vocab");
    vocab.remove("\u0101");
    vocab.remove("\u0102");
    vocab.addProperty("\u0120n", 1);
    vocab.addProperty("\u0120y", 2);
    JsonArray merges = new JsonArray();
    merges.add("\u0120 n");
    merges.add("\u0120 y");
    model.add("merges", merges);
    Files.writeString(tokenizer, root.toString(), StandardCharsets.UTF_8);
  }

  /** Starts a run and waits for it to end, so the ensemble closes on an idle loop. */
  private Run startAndFinish(RunSpec spec) {
    Run run = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(spec).build());
    Iterator<RunEvent> events = orchestrator.withDeadlineAfter(120, TimeUnit.SECONDS)
        .watchRun(WatchRunRequest.newBuilder().setRunId(run.getId()).build());
    events.forEachRemaining(e -> { });
    return run;
  }

  @Test
  void pinOnGpt2StoresTheFilterOfGpt2sVocabulary() throws Exception {
    RunSpec spec = TinyRuns.spec(Method.METHOD_PIN, 2);
    spec = spec.toBuilder().setPolicy(spec.getPolicy().toBuilder()
        .setBackbone(ModelRef.newBuilder().setName("tiny-gpt2"))).build();
    Run run = startAndFinish(spec);

    // §4.2: 20 % of the backbone's 257 tokens, not of BERT's 30 522 (6 104).
    int expected = (int) Math.round(0.2 * TinyModels.GPT2_CONFIG.vocabSize());
    PolicyConfig stored = run.getSpec().getPolicy();
    assertEquals(expected, stored.getSparseTsallis().getLmFilter().getTopK());
    assertEquals(5, stored.getPromptLength());
    assertEquals(32, stored.getMlpHiddenSize());
    assertEquals(1f, stored.getGamma());
    assertEquals("cpu", stored.getDevice());
    // `pin runs --json` prints the stored run whole.
    Run listed = orchestrator.listRuns(ListRunsRequest.newBuilder().setView(RunView.RUN_VIEW_FULL)
        .build()).getRuns(0);
    assertEquals(stored, listed.getSpec().getPolicy());
    String json = JsonFormat.printer().omittingInsignificantWhitespace().print(listed);
    assertTrue(json.contains("\"lmFilter\":{\"topK\":" + expected), json);
  }

  @Test
  void classificationWithACausalTaskModelStoresTheCausalTemplate() {
    RunSpec spec = TinyRuns.spec(Method.METHOD_RLPROMPT, 1);
    ClassificationTask task = spec.getTask().getClassification().toBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("tiny-gpt2"))
        .clearVerbalizers().addVerbalizers("n").addVerbalizers("y").build();
    spec = spec.toBuilder().setTask(spec.getTask().toBuilder().setClassification(task)).build();
    Run run = startAndFinish(spec);

    ClassificationTask stored = run.getSpec().getTask().getClassification();
    assertEquals("{sentence} {prompt}", stored.getTemplate()); // §6.1, causal task LM
    assertEquals(200f, stored.getCorrectMultiplier());
    assertEquals(180f, stored.getIncorrectMultiplier());
    assertEquals(task.getData(), stored.getData()); // the data source, not inline examples
    assertEquals(0, stored.getTrainCount());
  }

  @Test
  void aBadPolicyFieldIsRefusedWithItsPathBeforeAnyRunIsStored() {
    RunSpec spec = TinyRuns.spec(Method.METHOD_PIN, 2);
    RunSpec bad = spec.toBuilder().setPolicy(spec.getPolicy().toBuilder().setPromptLength(500)
        .setGamma(1.5f)).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(bad).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    String description = e.getStatus().getDescription();
    assertTrue(description.contains(
        "spec.policy.prompt_length: must be between 1 and 64, got 500"), description);
    assertTrue(description.contains("spec.policy.gamma: must be in (0, 1]"), description);

    RunSpec badTask = spec.toBuilder().setTask(spec.getTask().toBuilder().setClassification(
        spec.getTask().getClassification().toBuilder().setTemplate("{prompt} {sentence}")))
        .build();
    e = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(badTask).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith(
        "spec.task.classification.template: must contain {mask} exactly once"),
        e.getStatus().getDescription());

    assertEquals(0, orchestrator.listRuns(ListRunsRequest.getDefaultInstance()).getRunsCount());
  }
}
