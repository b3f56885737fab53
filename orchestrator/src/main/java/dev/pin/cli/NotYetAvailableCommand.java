package dev.pin.cli;

import java.util.concurrent.Callable;

/**
 * Base of a subcommand whose capability arrives in a later issue: it documents its interface in
 * {@code --help} and, when run, says plainly that it is not available yet and exits non-zero.
 */
abstract class NotYetAvailableCommand implements Callable<Integer> {
  /** What the command will do, e.g. "Training runs". */
  abstract String capability();

  /** The issue that brings it. */
  abstract String arrivesWith();

  @Override
  public Integer call() {
    System.err.println("pin: " + capability() + " is not available in this build yet; it arrives "
        + "with " + arrivesWith() + ".");
    return Pin.ExitCodes.NOT_AVAILABLE;
  }
}
