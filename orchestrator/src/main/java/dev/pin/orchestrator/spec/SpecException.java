package dev.pin.orchestrator.spec;

import java.util.List;

/**
 * A run spec that cannot be used, with every problem found (not just the first). Each problem
 * starts with the field path, e.g. {@code spec.policy.prompt_length: must be between 1 and 64, got
 * 0}, so a gRPC handler can return the message as INVALID_ARGUMENT unchanged.
 */
public final class SpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /** Creates the exception from one or more problems. */
  public SpecException(List<String> problems) {
    super(format(problems));
    this.problems = List.copyOf(problems);
  }

  /** Each problem, in the order found, each starting with its field path. */
  public List<String> problems() {
    return problems;
  }

  private static String format(List<String> problems) {
    if (problems.size() == 1) {
      return problems.get(0);
    }
    StringBuilder sb =
        new StringBuilder("run spec has ").append(problems.size()).append(" problems:");
    for (String p : problems) {
      sb.append("\n  - ").append(p);
    }
    return sb.toString();
  }
}
