package dev.pin.orchestrator.spec;

import dev.pin.v1.RunSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads run spec files (see {@code examples/} at the repository root): a YAML mapping with the
 * fields of {@link RunSpec}, for example
 *
 * <pre>{@code
 * name: sst2-pin-seed42
 * method: pin
 * task:
 *   classification:
 *     task_model: { name: bert-base-uncased }
 *     data: { few_shot: { dir: ../shared/data/few-shot/sst-2, split_seed: 42 } }
 * seed: 42
 * }</pre>
 *
 * Fields left out take the §8 defaults when {@link RunDefaults#apply} runs.
 */
public final class RunSpecYaml {
  private RunSpecYaml() {}

  /**
   * Parses a run spec from YAML text.
   *
   * @throws SpecException listing every problem with its field path ({@code spec.…})
   */
  public static RunSpec parse(String yaml) {
    return ProtoYaml.parse(yaml, RunSpec.getDefaultInstance(), "spec");
  }

  /**
   * Reads a run spec file.
   *
   * @throws SpecException naming the file and every problem in it
   * @throws IOException when the file cannot be read
   */
  public static RunSpec read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    try {
      return parse(text);
    } catch (SpecException e) {
      throw new SpecException(e.problems().stream().map(p -> file + ": " + p).toList());
    }
  }

  /** The short names {@code method:} accepts, e.g. for help texts. */
  public static List<String> methodNames() {
    return List.of(ProtoYaml.enumChoices(dev.pin.v1.Method.getDescriptor()).split(", "));
  }
}
