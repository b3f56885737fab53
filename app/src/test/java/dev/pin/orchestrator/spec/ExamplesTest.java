package dev.pin.orchestrator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.TextFormat;
import dev.pin.kit.grpc.FieldErrors;
import dev.pin.orchestrator.data.TaskDataLoader;
import dev.pin.policy.PolicyRequests;
import dev.pin.v1.Method;
import dev.pin.v1.RunSpec;
import dev.pin.v1.TaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every file in examples/ at the repository root parses and validates. */
class ExamplesTest {
  /** The repository root: the nearest folder up from the working directory with examples/. */
  static final Path REPO_ROOT = findRoot();

  static final Path EXAMPLES = REPO_ROOT.resolve("examples");

  @Test
  void everyExampleParsesAndValidates() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(EXAMPLES)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertEquals(
        List.of(
            "classification-sst2-pez.yaml",
            "classification-sst2-pin.yaml",
            "classification-sst2-rlprompt.yaml",
            "classification-sst2-soft-prompt.yaml",
            "demo-pin.yaml",
            "demo-rlprompt.yaml",
            "image-inversion-pez.yaml",
            "image-inversion-pin.yaml",
            "learning-curve/pez-laptop.yaml",
            "learning-curve/pin-laptop-fluent-1update.yaml",
            "learning-curve/pin-laptop-fluent-lr5e-5.yaml",
            "learning-curve/pin-laptop-fluent-repeats.yaml",
            "learning-curve/pin-laptop-fluent-subwords.yaml",
            "learning-curve/pin-laptop-fluent.yaml",
            "learning-curve/pin-laptop.yaml",
            "learning-curve/rlprompt-laptop-filter-replay.yaml",
            "learning-curve/rlprompt-laptop-filter.yaml",
            "learning-curve/rlprompt-laptop-replay.yaml",
            "learning-curve/rlprompt-laptop-scale1.yaml",
            "learning-curve/rlprompt-laptop.yaml",
            "readability-tradeoff/pez.yaml",
            "readability-tradeoff/pin.yaml",
            "readability-tradeoff/rlprompt.yaml",
            "report-sst2-pin.yaml",
            "report-sst2-rlprompt.yaml",
            "style-transfer-yelp-pin.yaml"),
        files.stream().map(p -> EXAMPLES.relativize(p).toString()).toList());
    for (Path f : files) {
      RunSpec spec = ServiceDefaults.onBert(RunSpecYaml.read(f));
      assertEquals(List.of(), RunSpecValidator.validate(spec), f.toString());
      // The policy service's checks of the example's policy (its own models' vocabularies aside).
      FieldErrors policy = new FieldErrors();
      if (spec.getMethod() == Method.METHOD_PEZ) {
        PolicyRequests.effectivePez(policy, "spec.policy", spec.getPolicy(), spec.getPolicy());
        assertEquals(spec.getPez(), spec.getPolicy().getPez(), f + ": PEZ's settings as given");
      } else if (spec.getMethod() == Method.METHOD_SOFT_PROMPT) {
        PolicyRequests.effectivePez(policy, "spec.policy", spec.getPolicy(), spec.getPolicy());
        assertEquals(spec.getSoftPrompt(), spec.getPolicy().getSoftPrompt(),
            f + ": the soft prompt's settings as given");
      } else {
        PolicyRequests.effective(policy, "spec.policy", spec.getPolicy());
      }
      assertEquals(List.of(), policy.messages(), f.toString());
      assertTrue(spec.getMethod() == Method.METHOD_PIN
          || spec.getMethod() == Method.METHOD_RLPROMPT || spec.getMethod() == Method.METHOD_PEZ
          || spec.getMethod() == Method.METHOD_SOFT_PROMPT);
      assertTrue(!spec.getName().isEmpty(), f + " has a name");
      // Data inside the clone (the jar, data/, examples/), never beside it: a user's clone has
      // no ../shared.
      assertTrue(!TextFormat.shortDebugString(spec.getTask()).contains("\"../"),
          f + " reads data outside the repository: " + spec.getTask());
    }
  }

  @Test
  void theDemoPairDiffersOnlyInTheMethodAndName() throws IOException {
    RunSpec pin = RunSpecYaml.read(EXAMPLES.resolve("demo-pin.yaml"));
    RunSpec rlprompt = RunSpecYaml.read(EXAMPLES.resolve("demo-rlprompt.yaml"));
    assertEquals(Method.METHOD_RLPROMPT, rlprompt.getMethod());
    assertEquals(pin.toBuilder().clearName().clearMethod().build(),
        rlprompt.toBuilder().clearName().clearMethod().build());
    assertEquals(List.of(), RunSpecValidator.validate(RunDefaults.apply(rlprompt)));
  }

  @Test
  void demoExampleLoadsItsData() throws IOException {
    RunSpec spec = RunDefaults.apply(RunSpecYaml.read(EXAMPLES.resolve("demo-pin.yaml")));
    TaskSpec task = TaskDataLoader.load(spec.getTask(), REPO_ROOT);
    assertEquals(32, task.getClassification().getTrainCount());
    assertEquals(32, task.getClassification().getDevCount());
    assertEquals(100, task.getClassification().getTestCount());
    assertEquals(List.of("terrible", "great"), task.getClassification().getVerbalizersList());
    assertEquals(List.of(), RunSpecValidator.validate(spec.toBuilder().setTask(task).build()));
  }

  @Test
  void sst2ExampleLoadsBenchmarkDataInTheDocumentedLayout(@TempDir Path clone)
      throws IOException {
    Path shared = REPO_ROOT.resolve("../shared/data").normalize();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(shared.resolve("few-shot/sst-2")), "../shared/data not present");
    // A clone with data/ as examples/README.md lays it out (there: `ln -s ../shared/data data`).
    Files.createSymbolicLink(clone.resolve("data"), shared);
    RunSpec spec =
        RunDefaults.apply(RunSpecYaml.read(EXAMPLES.resolve("classification-sst2-pin.yaml")));
    TaskSpec task = TaskDataLoader.load(spec.getTask(), clone);
    assertEquals(32, task.getClassification().getTrainCount());
    assertEquals(1821, task.getClassification().getTestCount());
  }

  private static Path findRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("examples")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no examples/ folder above " + Path.of("").toAbsolutePath());
  }
}
