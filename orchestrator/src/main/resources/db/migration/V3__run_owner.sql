-- The identity that started each run (bearer-token authentication), for ListRuns to show each
-- caller its own runs; '' for runs stored without authentication.
-- Released: never edit; add the next version instead.

ALTER TABLE runs ADD COLUMN owner VARCHAR(256) NOT NULL DEFAULT '';

CREATE INDEX runs_by_owner ON runs (owner, created_ms, id);
