-- Versioned workflows (issue 23): a dossier keeps the version of the workflow it started
-- under, so editing a workflow changes new dossiers only. Every version ever stored is kept
-- here, never changed; `workflows` keeps the current one. The workflows already stored are
-- version 1 (their text has no version and reads as 1), as are the dossiers started under them.
CREATE TABLE workflow_versions (
    code       TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (code, version)
);
INSERT INTO workflow_versions (code, version, body, created_at)
    SELECT code, 1, body, (extract(epoch FROM now()) * 1000000)::bigint FROM workflows;
