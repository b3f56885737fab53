package dev.pin.cli;

import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.EvaluatePromptResponse;
import dev.pin.v1.RunSpec;
import dev.pin.v1.Split;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pin eval SPEC.yaml "prompt"}: scores a prompt a person wrote. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Score a prompt a person wrote (or the empty prompt) on a run spec's task: "
        + "test accuracy (or J / CLIP score) and naturalness.")
final class EvalCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "SPEC", description = "A run spec naming the task.")
  Path spec;

  @Parameters(index = "1", arity = "0..1", defaultValue = "", paramLabel = "PROMPT",
      description = "The prompt text (default: the empty prompt).")
  String prompt;

  @Option(names = "--split", defaultValue = "test",
      description = "train, dev or test (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--naturalness", negatable = true, defaultValue = "true",
      description = "Also score the prompt's naturalness (default: on).")
  boolean naturalness;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Mixin
  OrchestratorConnection connection;

  @Override
  public Integer call() {
    RunSpec runSpec = SpecFile.read(System.err, "eval", spec).orElse(null);
    if (runSpec == null) {
      return Pin.ExitCodes.USAGE;
    }
    Split which = switch (split.toLowerCase(Locale.ROOT)) {
      case "train" -> Split.SPLIT_TRAIN;
      case "dev" -> Split.SPLIT_DEV;
      case "test" -> Split.SPLIT_TEST;
      default -> null;
    };
    if (which == null) {
      System.err.println("pin eval: --split must be train, dev or test, got " + split);
      return Pin.ExitCodes.USAGE;
    }
    ManagedChannel channel = connection.open();
    try {
      EvaluatePromptResponse r = OrchestratorConnection.stub(channel).evaluatePrompt(
          EvaluatePromptRequest.newBuilder().setTask(runSpec.getTask()).setPromptText(prompt)
              .setSplit(which).setWithNaturalness(naturalness && !prompt.isBlank()).build());
      if (json) {
        System.out.println(RunProgress.toJson(r));
      } else {
        System.out.printf(Locale.ROOT, "\"%s\": %s score %.2f on %d examples%s%n", prompt, split,
            r.getScore(), r.getExamples(), r.getResult().hasNaturalness()
                ? String.format(Locale.ROOT, ", pseudo-perplexity %.1f",
                    r.getResult().getNaturalness().getPerplexity()) : "");
      }
      return Pin.ExitCodes.OK;
    } catch (StatusRuntimeException e) {
      return connection.fail("eval", e);
    } finally {
      OrchestratorConnection.close(channel);
    }
  }
}
