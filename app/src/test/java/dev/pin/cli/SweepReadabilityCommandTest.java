package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.orchestrator.spec.RunSpecYaml;
import dev.pin.v1.Budget;
import dev.pin.v1.Method;
import dev.pin.v1.PenaltyFunction;
import dev.pin.v1.RunSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The readability sweep's plan: run specs, their names, and which specs make one sweep. */
class SweepReadabilityCommandTest {
  private static final Path STUDY = repoRoot().resolve("examples/readability-tradeoff");

  private static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("examples")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no examples/ above " + Path.of("").toAbsolutePath());
  }

  private static RunSpec pin() {
    return RunSpec.newBuilder().setName("sst2").setMethod(Method.METHOD_PIN)
        .setBudget(Budget.newBuilder().setMaxSteps(30)).setSeed(1).build();
  }

  @Test
  void aPointsSpecCarriesItsValueAndANameThatIdentifiesTheWholeSpec() {
    RunSpec lambda = SweepReadabilityCommand.runSpec(pin(), SweepReadabilityCommand.Knob.LAMBDA,
        0.5, SweepReadabilityCommand.G.identity);
    assertEquals(0.5f, lambda.getShaping().getPerplexityPenalty().getLambda());
    assertEquals(PenaltyFunction.PENALTY_FUNCTION_IDENTITY,
        lambda.getShaping().getPerplexityPenalty().getFunction());
    assertTrue(lambda.getName().matches("sst2-lambda-0\\.5-[0-9a-f]{8}"), lambda.getName());
    // The same spec and value: the same name (a restarted sweep finds its run) ...
    assertEquals(lambda.getName(), SweepReadabilityCommand.runSpec(pin(),
        SweepReadabilityCommand.Knob.LAMBDA, 0.5, SweepReadabilityCommand.G.identity).getName());
    // ... and another budget, g or seed another one (a changed spec trains again).
    RunSpec longer = pin().toBuilder().setBudget(Budget.newBuilder().setMaxSteps(60)).build();
    for (RunSpec other : List.of(
        SweepReadabilityCommand.runSpec(longer, SweepReadabilityCommand.Knob.LAMBDA, 0.5,
            SweepReadabilityCommand.G.identity),
        SweepReadabilityCommand.runSpec(pin(), SweepReadabilityCommand.Knob.LAMBDA, 0.5,
            SweepReadabilityCommand.G.log),
        SweepReadabilityCommand.runSpec(pin().toBuilder().setSeed(2).build(),
            SweepReadabilityCommand.Knob.LAMBDA, 0.5, SweepReadabilityCommand.G.identity))) {
      assertNotEquals(lambda.getName(), other.getName());
      assertTrue(other.getName().startsWith("sst2-lambda-0.5-"), other.getName());
    }
    // The spec's own name is not part of the fingerprint.
    assertEquals(lambda.getName().substring(lambda.getName().length() - 8),
        SweepReadabilityCommand.runSpec(pin().toBuilder().setName("other").build(),
            SweepReadabilityCommand.Knob.LAMBDA, 0.5, SweepReadabilityCommand.G.identity)
            .getName().substring("other-lambda-0.5-".length()));

    RunSpec pez = RunSpec.newBuilder().setMethod(Method.METHOD_PEZ).build();
    RunSpec w = SweepReadabilityCommand.runSpec(pez, SweepReadabilityCommand.Knob.W, 0.9,
        SweepReadabilityCommand.G.log);
    assertEquals(0.9f, w.getPez().getFluencyWeight());
    assertTrue(w.getName().matches("sweep-pez-w-0\\.9-[0-9a-f]{8}"), w.getName());
    assertEquals(0, w.getShaping().getPerplexityPenalty().getLambda(), "λ is the RL methods'");
    // A long name is cut to leave room for the suffix (RunSpec.name: at most 200 characters).
    RunSpec long_ = SweepReadabilityCommand.runSpec(pin().toBuilder().setName("x".repeat(200))
        .build(), SweepReadabilityCommand.Knob.LAMBDA, 1, SweepReadabilityCommand.G.log);
    assertEquals(200, long_.getName().length());
    assertTrue(long_.getName().contains("-lambda-1-"), long_.getName());
  }

  @Test
  void theStudysExampleSpecsAreOneSweepOfThreeMethods() throws Exception {
    SweepReadabilityCommand command = new SweepReadabilityCommand();
    command.specs = List.of(STUDY.resolve("rlprompt.yaml"), STUDY.resolve("pin.yaml"),
        STUDY.resolve("pez.yaml"));
    command.lambdas = List.of("0", "1", "5");
    command.weights = List.of("0", "0.5", "0.9");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<SweepReadabilityCommand.MethodSweep> plan = command.plan(
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertNotNull(plan, err.toString(StandardCharsets.UTF_8));
    assertEquals(List.of(Method.METHOD_RLPROMPT, Method.METHOD_PIN, Method.METHOD_PEZ),
        plan.stream().map(SweepReadabilityCommand.MethodSweep::method).toList());
    assertEquals(List.of(0.0, 0.5, 0.9), plan.get(2).values());
    assertEquals("Readability trade-off on sst-2 (16-shot split 42): RLPrompt over λ, PIN over λ, "
        + "PEZ over w", SweepReadabilityCommand.title(plan));
  }

  @Test
  void tasksAreComparedWithTheirDefaultsFilledIn() throws Exception {
    Path examples = repoRoot().resolve("examples");
    // The template and verbalizers written out (classification-sst2-pez.yaml) or left to the
    // folder's defaults (the study's spec): one task.
    assertEquals(List.of(), SweepReadabilityCommand.taskDifferences(
        RunSpecYaml.read(examples.resolve("classification-sst2-pez.yaml")).getTask(),
        RunSpecYaml.read(STUDY.resolve("pin.yaml")).getTask()));
    RunSpec split13 = RunSpecYaml.read(STUDY.resolve("pin.yaml"));
    split13 = split13.toBuilder().setTask(split13.getTask().toBuilder().setClassification(
        split13.getTask().getClassification().toBuilder().setData(
            split13.getTask().getClassification().getData().toBuilder().setFewShot(
                split13.getTask().getClassification().getData().getFewShot().toBuilder()
                    .setSplitSeed(13))))).build();
    assertEquals(List.of("task.classification.data"), SweepReadabilityCommand.taskDifferences(
        split13.getTask(), RunSpecYaml.read(STUDY.resolve("pez.yaml")).getTask()));
  }
}
