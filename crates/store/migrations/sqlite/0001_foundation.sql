-- Foundation: units, organisations, catalog, accounts, sessions.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_code TEXT REFERENCES units (code),
    level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 20)
);
CREATE INDEX units_parent ON units (parent_code);

CREATE TABLE organisations (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    unit_code   TEXT NOT NULL REFERENCES units (code),
    parent_code TEXT REFERENCES organisations (code)
);
CREATE INDEX organisations_unit ON organisations (unit_code);

CREATE TABLE procedures (
    code             TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    name_folded      TEXT NOT NULL,
    field_code       TEXT NOT NULL,
    level            TEXT NOT NULL,
    online           TEXT NOT NULL CHECK (online IN ('full', 'partial', 'none')),
    time_limit_kind  TEXT NOT NULL,
    time_limit_value INTEGER NOT NULL,
    total_fee        INTEGER NOT NULL,
    body             TEXT NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX procedures_field ON procedures (field_code);

CREATE TABLE procedure_orgs (
    procedure_code TEXT NOT NULL REFERENCES procedures (code) ON DELETE CASCADE,
    org_code       TEXT NOT NULL REFERENCES organisations (code),
    PRIMARY KEY (procedure_code, org_code)
);
CREATE INDEX procedure_orgs_org ON procedure_orgs (org_code);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('staff', 'citizen')),
    cccd          TEXT UNIQUE,
    email         TEXT,
    phone         TEXT,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE role_assignments (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_code   TEXT NOT NULL REFERENCES organisations (code),
    role       TEXT NOT NULL,
    PRIMARY KEY (account_id, org_code, role)
);
CREATE INDEX role_assignments_org ON role_assignments (org_code);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
