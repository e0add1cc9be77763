-- Quotas per address and wrong-password counts, as on PostgreSQL, where every server on one
-- database shares them. A SQLite database has one server, which keeps these counts in memory:
-- the tables are here so both engines have one schema (and one conformance suite).
-- Keys are hashes (see crates/motcua/src/throttle.rs): no address or username is stored.

-- One row per (quota, address): the theoretical arrival time of the next request, in
-- milliseconds since 1970 (the generic cell rate algorithm).
CREATE TABLE limit_quotas (
    key TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);

-- One row per (kind, username and/or address): wrong passwords since first_ms, and until when
-- the key is locked once they reach their maximum.
CREATE TABLE limit_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_ms BIGINT NOT NULL,
    locked_until_ms BIGINT
);
