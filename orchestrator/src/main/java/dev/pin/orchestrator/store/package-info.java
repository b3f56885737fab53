/**
 * Run history: {@link dev.pin.orchestrator.store.RunStore}, the orchestrator's record of every run
 * (its effective spec, state, progress, best prompts, checkpoint), the per-run event log that
 * WatchRun replays, and per-step metrics and evaluations. {@link
 * dev.pin.orchestrator.store.JdbcRunStore} keeps it in SQLite (an embedded file, the default) or
 * PostgreSQL (by JDBC URL) with the same SQL; protos are stored as bytes next to a few queryable
 * columns. HikariCP pools the connections and Flyway migrates the schema.
 */
package dev.pin.orchestrator.store;
