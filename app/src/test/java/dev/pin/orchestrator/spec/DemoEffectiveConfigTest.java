package dev.pin.orchestrator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.TextFormat;
import dev.pin.v1.MaskedHead;
import dev.pin.v1.RunSpec;
import dev.pin.v1.TaskType;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Moving the policy's and the task's defaults into their services changed nothing for BERT-base
 * runs: {@code pin demo}'s spec resolves to the effective config the orchestrator alone filled
 * before (golden/demo-pin-effective.txtpb, printed by the old {@code RunDefaults.apply}).
 */
class DemoEffectiveConfigTest {
  @Test
  void demoSpecResolvesAsBefore() throws Exception {
    RunSpec before;
    try (InputStream in = getClass().getResourceAsStream("/golden/demo-pin-effective.txtpb")) {
      before = TextFormat.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
          RunSpec.class);
    }
    RunSpec now = ServiceDefaults.onBert(
        RunSpecYaml.read(ExamplesTest.EXAMPLES.resolve("demo-pin.yaml")));
    // The policy service also writes out what the old spec left implicit: the task type and the
    // masked head, whose defaults they are (and the device, which it resolves itself).
    assertEquals(TaskType.TASK_TYPE_CLASSIFICATION, now.getPolicy().getTaskType());
    assertEquals(MaskedHead.MASKED_HEAD_TIED_DECODER, now.getPolicy().getMaskedHead());
    RunSpec.Builder comparable = now.toBuilder();
    comparable.getPolicyBuilder().clearTaskType().clearMaskedHead().clearDevice();
    assertEquals(before, comparable.build());
  }
}
