-- Workflows (as data), dossiers, their hash-chained events, code sequences, idempotency.
CREATE TABLE workflows (
    code TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

-- The last sequence number given per receiving unit per day: codes are gap-free.
CREATE TABLE dossier_sequences (
    org_code   TEXT NOT NULL,
    day        TEXT NOT NULL,
    last_value BIGINT NOT NULL,
    PRIMARY KEY (org_code, day)
);

CREATE TABLE dossiers (
    code            TEXT PRIMARY KEY,
    procedure_code  TEXT NOT NULL REFERENCES procedures (code),
    desk_org        TEXT NOT NULL REFERENCES organisations (code),
    processing_org  TEXT NOT NULL REFERENCES organisations (code),
    owner_account   BIGINT REFERENCES accounts (id),
    status          INTEGER NOT NULL CHECK (status BETWEEN 1 AND 10),
    step            TEXT,
    waiting_org     TEXT,
    waiting_role    TEXT,
    submitted_at    BIGINT NOT NULL,
    due_at          BIGINT,
    finished_at     BIGINT,
    body            TEXT NOT NULL,
    last_event_seq  BIGINT NOT NULL,
    last_event_hash TEXT NOT NULL
);
CREATE INDEX dossiers_inbox ON dossiers (waiting_org, waiting_role, due_at);
CREATE INDEX dossiers_owner ON dossiers (owner_account, submitted_at);
CREATE INDEX dossiers_processing ON dossiers (processing_org, status);

CREATE TABLE dossier_events (
    dossier_code  TEXT NOT NULL REFERENCES dossiers (code),
    seq           BIGINT NOT NULL,
    at_us         BIGINT NOT NULL,
    actor_account BIGINT,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    from_status   INTEGER,
    to_status     INTEGER NOT NULL,
    from_step     TEXT,
    to_step       TEXT,
    details       TEXT NOT NULL,
    state_hash    TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (dossier_code, seq)
);

CREATE TABLE idempotency_keys (
    account_id   BIGINT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
