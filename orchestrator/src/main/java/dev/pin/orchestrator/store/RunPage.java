package dev.pin.orchestrator.store;

import dev.pin.v1.Run;
import java.util.List;

/**
 * One page of {@link RunStore#listRuns}, newest first.
 *
 * @param runs the runs of this page
 * @param nextPageToken pass to the next call; empty on the last page
 */
public record RunPage(List<Run> runs, String nextPageToken) {
  /** Copies the list. */
  public RunPage {
    runs = List.copyOf(runs);
  }
}
