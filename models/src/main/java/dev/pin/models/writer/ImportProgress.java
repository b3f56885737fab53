package dev.pin.models.writer;

/** Progress callbacks of an import (the CLI draws them; tests may ignore them). */
public interface ImportProgress {
  /** A new stage begins, e.g. "resolving", "extracting", "converting". */
  void stage(String description);

  /** Bytes done of {@code total} (-1 when unknown) within the current stage. */
  void bytes(String what, long done, long total);

  /** Discards every report. */
  ImportProgress NONE = new ImportProgress() {
    @Override
    public void stage(String description) {}

    @Override
    public void bytes(String what, long done, long total) {}
  };
}
