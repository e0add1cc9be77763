-- no-transaction
-- A register entry's package (its signed XML with every attachment in base64, often hundreds
-- of KB) goes last in its row (issue 20). SQLite keeps a row's columns in order and what does
-- not fit in the page in a chain of overflow pages; a column after the package is reached only
-- by reading that whole chain. So every read of an entry's state, revision or dates (a
-- register page, a receipt changing a document's state) read the package too: about 34 pages
-- per entry, again after every commit, as a connection's cache starts over then.
--
-- SQLite cannot move a column: the table is rebuilt with the same rows, ids and constraints.
-- Three tables refer to its ids (outbox items, document requests, work files). Dropping the
-- old table would break those references for a moment, so this migration runs outside
-- sqlx's transaction (see `migrations.rs`): it turns foreign keys off, rebuilds the table in
-- its own transaction, and turns them on again. Run twice (a crash before sqlx records it),
-- it rebuilds once more, from the columns by name, to the same result.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP TABLE IF EXISTS documents_new;
CREATE TABLE documents_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_code    TEXT NOT NULL REFERENCES organisations (code),
    direction   TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    year        INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    document_id TEXT NOT NULL,
    from_org    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    state       TEXT NOT NULL,
    revision    INTEGER NOT NULL DEFAULT 0,
    pending     TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    header      TEXT NOT NULL,
    package     TEXT NOT NULL,
    UNIQUE (org_code, direction, year, number),
    UNIQUE (org_code, direction, document_id)
);
INSERT INTO documents_new (id, org_code, direction, year, number, document_id, from_org, subject, state, revision,
                           pending, created_at, updated_at, header, package)
    SELECT id, org_code, direction, year, number, document_id, from_org, subject, state, revision,
           pending, created_at, updated_at, header, package
    FROM documents;
-- The next id stays past every id ever given, as AUTOINCREMENT promises (a dropped table
-- takes its counter with it).
CREATE TEMP TABLE documents_counter AS SELECT seq FROM sqlite_sequence WHERE name = 'documents';
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
DELETE FROM sqlite_sequence WHERE name = 'documents';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'documents', MAX(seq) FROM (SELECT seq FROM temp.documents_counter UNION ALL SELECT MAX(id) FROM documents)
    HAVING MAX(seq) IS NOT NULL;
DROP TABLE temp.documents_counter;
CREATE INDEX documents_register ON documents (org_code, direction, created_at);
CREATE INDEX documents_document_id ON documents (document_id);
COMMIT;
PRAGMA foreign_keys = ON;
