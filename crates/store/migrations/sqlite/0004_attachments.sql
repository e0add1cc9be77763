-- Files attached to dossiers; the bytes are in the content-addressed store on disk.
CREATE TABLE attachments (
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    idx          INTEGER NOT NULL,
    component    INTEGER,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    PRIMARY KEY (dossier_code, idx)
);
