package dev.pin.orchestrator.store;

import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import java.util.List;

/**
 * The result of an atomic change to a run: the run as stored afterwards and the events appended
 * with it, sequences assigned, in order.
 *
 * @param run the stored run
 * @param events the appended events (possibly none)
 */
public record RunUpdate(Run run, List<RunEvent> events) {
  /** Copies the list. */
  public RunUpdate {
    events = List.copyOf(events);
  }
}
