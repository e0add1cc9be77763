-- Fees without cash (issue 7): collecting accounts, payment gateways, their callbacks
-- (kept whatever they said, for reconciliation) and electronic receipts (biên lai).

CREATE TABLE bank_accounts (
    org_code TEXT PRIMARY KEY REFERENCES organisations (code),
    bin      TEXT NOT NULL,
    account  TEXT NOT NULL,
    name     TEXT NOT NULL
);

CREATE TABLE payment_gateways (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every authenticated callback, once per (gateway, transaction id), with what became of it.
CREATE TABLE payment_callbacks (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gateway        TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    body_sha256    TEXT NOT NULL,
    body           TEXT NOT NULL,
    dossier_code   TEXT,
    org_code       TEXT,
    amount         BIGINT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('paid', 'mismatch')),
    reason         TEXT,
    receipt_number TEXT,
    received_at    BIGINT NOT NULL,
    UNIQUE (gateway, transaction_id)
);
CREATE INDEX payment_callbacks_day ON payment_callbacks (received_at);

CREATE TABLE receipt_numbers (
    org_code    TEXT NOT NULL,
    year        INTEGER NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (org_code, year)
);

CREATE TABLE receipts (
    number         TEXT PRIMARY KEY,
    org_code       TEXT NOT NULL REFERENCES organisations (code),
    dossier_code   TEXT NOT NULL REFERENCES dossiers (code),
    amount         BIGINT NOT NULL,
    method         TEXT NOT NULL CHECK (method IN ('transfer', 'desk')),
    payer          TEXT NOT NULL,
    gateway        TEXT,
    transaction_id TEXT,
    lines          TEXT NOT NULL,
    issued_by      TEXT NOT NULL,
    issued_at      BIGINT NOT NULL
);
CREATE INDEX receipts_org_day ON receipts (org_code, issued_at);
CREATE INDEX receipts_dossier ON receipts (dossier_code);

-- Electronic results: each result file signed by the processing organisation (detached
-- CMS), numbered <dossier code>-KQ<n>, publicly verifiable by number.
CREATE TABLE results (
    number       TEXT PRIMARY KEY,
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    seq          INTEGER NOT NULL,
    org_code     TEXT NOT NULL REFERENCES organisations (code),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    signature    TEXT NOT NULL,
    signer       TEXT NOT NULL,
    issued_at    BIGINT NOT NULL,
    UNIQUE (dossier_code, seq),
    UNIQUE (dossier_code, sha256)
);

-- Results returned by public post: one shipment per dossier, its status updates from the
-- carrier.
CREATE TABLE shipments (
    dossier_code    TEXT PRIMARY KEY REFERENCES dossiers (code),
    tracking_number TEXT NOT NULL UNIQUE,
    carrier         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    address         TEXT NOT NULL,
    phone           TEXT NOT NULL,
    postage_fee     BIGINT NOT NULL,
    status          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE TABLE shipment_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tracking_number TEXT NOT NULL REFERENCES shipments (tracking_number),
    status          TEXT NOT NULL,
    note            TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX shipment_events_tracking ON shipment_events (tracking_number, at);
