package dev.pin.cli;

import dev.pin.orchestrator.spec.RunSpecYaml;
import dev.pin.orchestrator.spec.SpecException;
import dev.pin.v1.RunSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** Reads the run spec a command was given, explaining a missing, unreadable or invalid file. */
final class SpecFile {
  private SpecFile() {}

  /** The spec, or empty after printing {@code pin COMMAND: …} (the command exits USAGE). */
  static Optional<RunSpec> read(PrintStream err, String command, Path file) {
    String problem;
    if (Files.isDirectory(file)) {
      problem = file + " is a folder; give a run spec file (YAML, see examples/)";
    } else {
      try {
        return Optional.of(RunSpecYaml.read(file));
      } catch (SpecException e) {
        // Each problem already starts with the file's name.
        problem = String.join("\n  ", e.problems());
      } catch (NoSuchFileException e) {
        problem = "no such file: " + file.toAbsolutePath().normalize()
            + " (a run spec, e.g. examples/demo-pin.yaml)";
      } catch (AccessDeniedException e) {
        problem = "cannot read " + file + ": permission denied";
      } catch (IOException e) {
        problem = "cannot read " + file + ": " + e;
      }
    }
    err.println("pin " + command + ": " + problem);
    return Optional.empty();
  }
}
