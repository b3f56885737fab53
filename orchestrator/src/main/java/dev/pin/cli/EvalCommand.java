package dev.pin.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pin eval SPEC.yaml "prompt"}: scores a prompt a person wrote. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Score a prompt a person wrote (or the empty prompt) on a run spec's task: "
        + "test accuracy (or J / CLIP score) and naturalness.")
final class EvalCommand extends NotYetAvailableCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "SPEC", description = "The task's run spec.")
  Path spec;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PROMPT",
      description = "The prompt text (default: the empty prompt).")
  String prompt;

  @Option(names = "--address", defaultValue = "localhost:50050",
      description = "The orchestrator (default: ${DEFAULT-VALUE}).")
  String address;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Override
  String capability() {
    return "Evaluating prompts";
  }

  @Override
  String arrivesWith() {
    return "the reward-service (#5) and orchestrator (#6) issues";
  }
}
