-- Small files kept in the database, written in the same transaction as the dossier that
-- refers to them (issue 20): no file, no fsync of its own, and shared by every server on the
-- database. Named, like the files of the blob store, by the SHA-256 of their content.
CREATE TABLE file_contents (
    sha256  TEXT PRIMARY KEY,
    content BYTEA NOT NULL
);
