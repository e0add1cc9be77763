-- Files added by later actions (supplements, results); ratings; drafts of submissions.
ALTER TABLE attachments ADD COLUMN kind TEXT NOT NULL DEFAULT 'applicant'
    CHECK (kind IN ('applicant', 'supplement', 'result'));
-- The event that added the file (1: the submission).
ALTER TABLE attachments ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 1;

-- One rating per dossier, by its applicant, once the result is returned.
CREATE TABLE ratings (
    dossier_code TEXT PRIMARY KEY REFERENCES dossiers (code),
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    stars        INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment      TEXT,
    created_at   BIGINT NOT NULL
);

-- A citizen's unfinished submission. The body (chosen organisation, address, files by
-- content hash) belongs to the web layer; the files are already in the blob store.
CREATE TABLE drafts (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    procedure_code TEXT NOT NULL REFERENCES procedures (code),
    body           TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX drafts_account ON drafts (account_id, updated_at);
