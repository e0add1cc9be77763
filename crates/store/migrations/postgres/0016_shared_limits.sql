-- Quotas per address and wrong-password counts, shared by every server on this database so
-- that N servers do not allow N times the limits. UNLOGGED: a limited request writes here, and
-- these rows need no write-ahead log; after a crash (or on a promoted standby) they are empty
-- and the limits start afresh, as they did when each server kept them in memory.
-- Keys are hashes (see crates/motcua/src/throttle.rs): no address or username is stored.

-- One row per (quota, address): the theoretical arrival time of the next request, in
-- milliseconds since 1970 (the generic cell rate algorithm).
CREATE UNLOGGED TABLE limit_quotas (
    key TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);

-- One row per (kind, username and/or address): wrong passwords since first_ms, and until when
-- the key is locked once they reach their maximum.
CREATE UNLOGGED TABLE limit_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_ms BIGINT NOT NULL,
    locked_until_ms BIGINT
);
