-- A document's package is kept once (issue 20): the outbox item that delivers a document
-- points at its register row instead of holding a second copy of the package (with its
-- attachments, base64). Only a package the row no longer holds — a status, or a revision
-- sent before the row's package was replaced — is kept in the item itself.
CREATE TABLE exchange_outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    target          TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('document', 'status')),
    reference       TEXT NOT NULL,
    package         TEXT,
    document_row    INTEGER REFERENCES documents (id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER,
    created_at      INTEGER NOT NULL,
    CHECK (package IS NOT NULL OR document_row IS NOT NULL)
);
INSERT INTO exchange_outbox_new (id, target, kind, reference, package, attempts, next_attempt_at, last_error,
                                 delivered_at, created_at)
    SELECT id, target, kind, reference, package, attempts, next_attempt_at, last_error, delivered_at, created_at
    FROM exchange_outbox;
DROP TABLE exchange_outbox;
ALTER TABLE exchange_outbox_new RENAME TO exchange_outbox;
CREATE INDEX exchange_outbox_due ON exchange_outbox (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX exchange_outbox_document ON exchange_outbox (document_row);
