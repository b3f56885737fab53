package dev.pin.reward.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition by polling with a timeout (Awaitility style, no fixed sleeps). */
public final class Poll {
  private Poll() {}

  /**
   * Polls until the condition holds.
   *
   * @param what description for the failure message
   * @param timeout how long to wait
   * @param condition the condition
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      Thread.onSpinWait();
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }
}
