-- New dossiers' search words on SQLite (issue 20), appended in their submission's
-- transaction: a row a dossier (its organisations and its words, each list with the unit
-- separator, char(31), between and around its items), no key and no index, so a commit
-- writes the table's last pages only, not a page of `dossier_terms` per word and
-- organisation (half a submission's cost there). The store moves them into `dossier_terms`
-- a moment after, many commits' at once, and when it opens; a unit's search reads both
-- (`sql_dossier_list.rs`). PostgreSQL writes a group's words after its commit instead
-- (`dossier_terms_pending`) and has no such table.
CREATE TABLE dossier_terms_recent (
    dossier_code TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    orgs         TEXT NOT NULL,
    terms        TEXT NOT NULL
);
