package dev.pin.cli;

import dev.pin.kit.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The configuration options of commands that start services: a file and any {@code --key=value}. */
final class ConfigOptions {
  @Option(names = "--config", paramLabel = "FILE",
      description = "YAML configuration file (default: $PIN_CONFIG). Settings are overridden by "
          + "PIN_* environment variables, which are overridden by --key=value flags such as "
          + "--policy.port=50051 (see README.md, Configuration).")
  Path file;

  /**
   * The layered configuration; {@code settings} are the command's {@code --key=value} flags
   * (picocli hands unmatched options to the command, not to a mixin).
   */
  Config load(List<String> settings) {
    List<String> flags = new ArrayList<>(settings);
    if (file != null) {
      flags.add("--config=" + file);
    }
    return Config.load(flags, System.getenv());
  }
}
