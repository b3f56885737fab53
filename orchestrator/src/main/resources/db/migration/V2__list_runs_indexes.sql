-- Indexes for ListRuns: newest first, and by state.
-- Released: never edit; add the next version instead.

CREATE INDEX runs_by_created ON runs (created_ms, id);

CREATE INDEX runs_by_state ON runs (state, created_ms, id);
