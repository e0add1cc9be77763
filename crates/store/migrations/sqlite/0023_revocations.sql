-- Revoked papers (issue 24): a signed result or a receipt withdrawn by its issuing
-- organisation, with the reason and, for a corrected result, the number that replaces it.
-- The paper itself stays as it was signed; the verification page says it was revoked.
CREATE TABLE revocations (
    number      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('result', 'receipt')),
    org_code    TEXT NOT NULL REFERENCES organisations (code),
    reason      TEXT NOT NULL,
    replaced_by TEXT,
    revoked_by  TEXT NOT NULL,
    revoked_at  INTEGER NOT NULL
);
