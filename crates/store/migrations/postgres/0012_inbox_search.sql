-- An officer finds a dossier by its applicant (issue 18): the name without diacritics, the
-- CCCD and the phone, written once when the dossier is stored (the applicant never changes).
-- Rows stored before this migration are filled in by the store when it opens.
ALTER TABLE dossiers ADD COLUMN search_text TEXT;
