-- An officer finds a dossier by its applicant (issue 18): the name without diacritics, the
-- CCCD and the phone, written once when the dossier is stored (the applicant never changes).
-- Rows stored before this migration are filled in by the store when it opens.
ALTER TABLE dossiers ADD COLUMN search_text TEXT;
-- Only the rows still to fill: empty once they are, so the check at every start reads nothing
-- instead of scanning millions of dossiers.
CREATE INDEX dossiers_search_unfilled ON dossiers (code) WHERE search_text IS NULL;
