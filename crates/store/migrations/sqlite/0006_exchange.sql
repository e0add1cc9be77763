-- Official document exchange (issue 6): certificates and keys, partner servers, the
-- outgoing and incoming registers, status receipts, the delivery outbox and quarantine.

-- Certificates of the deployment CA, the server's request-signing identity, organisations'
-- signing identities and trusted outside CAs. Keys are encrypted PKCS#8 (never plain).
CREATE TABLE certificates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    role        TEXT NOT NULL CHECK (role IN ('ca', 'server', 'org', 'trusted')),
    org_code    TEXT REFERENCES organisations (code),
    subject     TEXT NOT NULL,
    serial      TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    not_before  INTEGER NOT NULL,
    not_after   INTEGER NOT NULL,
    cert_pem    TEXT NOT NULL,
    key_pem     TEXT,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  INTEGER NOT NULL,
    CHECK (role <> 'org' OR org_code IS NOT NULL)
);
CREATE INDEX certificates_role ON certificates (role, org_code, active);

-- Another motcua (or compatible) server: its URL, its CA and the organisations it serves.
CREATE TABLE exchange_peers (
    name           TEXT PRIMARY KEY,
    base_url       TEXT NOT NULL,
    ca_pem         TEXT NOT NULL,
    ca_fingerprint TEXT NOT NULL UNIQUE,
    orgs           TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

-- Gap-free numbers per organisation, year and register.
CREATE TABLE document_numbers (
    org_code    TEXT NOT NULL,
    year        INTEGER NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    last_number INTEGER NOT NULL,
    PRIMARY KEY (org_code, year, direction)
);

-- Outgoing (sổ văn bản đi) and incoming (sổ văn bản đến) registers.
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_code    TEXT NOT NULL REFERENCES organisations (code),
    direction   TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    year        INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    document_id TEXT NOT NULL,
    from_org    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    header      TEXT NOT NULL,
    package     TEXT NOT NULL,
    state       TEXT NOT NULL,
    revision    INTEGER NOT NULL DEFAULT 0,
    pending     TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_code, direction, year, number),
    UNIQUE (org_code, direction, document_id)
);
CREATE INDEX documents_register ON documents (org_code, direction, created_at);
CREATE INDEX documents_document_id ON documents (document_id);

-- Status receipts (01 arrived … 16 refused), kept by sender and recipient alike.
CREATE TABLE document_statuses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL,
    to_org      TEXT NOT NULL,
    code        TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    description TEXT NOT NULL,
    staff       TEXT NOT NULL,
    at          INTEGER NOT NULL,
    package     TEXT NOT NULL,
    UNIQUE (document_id, to_org, code, revision, at)
);
CREATE INDEX document_statuses_doc ON document_statuses (document_id, to_org, at);

-- Packages waiting to be delivered (to this server's own organisations, or to a peer).
CREATE TABLE exchange_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    target          TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('document', 'status')),
    reference       TEXT NOT NULL,
    package         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX exchange_outbox_due ON exchange_outbox (next_attempt_at) WHERE delivered_at IS NULL;

-- Packages that failed verification: kept with the reason, never dropped.
CREATE TABLE exchange_quarantine (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    document_id TEXT,
    from_org    TEXT,
    package     BLOB NOT NULL,
    received_at INTEGER NOT NULL
);
