-- Lists that cost what they show (issue 28). Each list reads an index in its own order from
-- the top down to its page (keyset pagination), so the archive behind it costs nothing:
-- a citizen's dossiers, newest first;
DROP INDEX dossiers_owner;
CREATE INDEX dossiers_owner_recent ON dossiers (owner_account, submitted_at, code);
-- every dossier an organisation received or processes, newest first, one run per status
-- (a list merges the runs of the statuses it shows: filtered by a rare status, it reads
-- that status's dossiers only);
DROP INDEX dossiers_processing;
-- (the desk last: a dossier a unit both received and processes is read from the desk's)
CREATE INDEX dossiers_processing_recent ON dossiers (processing_org, status, submitted_at, code, desk_org);
CREATE INDEX dossiers_desk_recent ON dossiers (desk_org, status, submitted_at, code);
-- the dossiers of a unit waiting at a step (overdue, due soon, by step): only those at a
-- step are in these indexes, so they grow with the work, not with the archive;
CREATE INDEX dossiers_active_desk ON dossiers (desk_org, due_at) WHERE step IS NOT NULL;
CREATE INDEX dossiers_active_processing ON dossiers (processing_org, due_at) WHERE step IS NOT NULL;
-- the running dossiers of one procedure in one status (linked applications' pass).
CREATE INDEX dossiers_procedure_status ON dossiers (procedure_code, status);

-- A unit's search: the words a dossier is found by (the applicant's name without diacritics
-- as it starts and as it ends, CCCD, phone, the code and its end; and its procedure and field,
-- as `thu-tuc:<code>` and `linh-vuc:<code>`, for the lists filtered by them), once per
-- organisation that received or processes it, newest first within a word.
CREATE TABLE dossier_terms (
    org_code     TEXT NOT NULL,
    term         TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    dossier_code TEXT NOT NULL,
    PRIMARY KEY (org_code, term, submitted_at, dossier_code)
) WITHOUT ROWID;
-- Dossiers stored before this table: the store writes their words when it opens.
CREATE TABLE dossier_terms_pending (
    dossier_code TEXT PRIMARY KEY
);
INSERT INTO dossier_terms_pending (dossier_code) SELECT code FROM dossiers;
