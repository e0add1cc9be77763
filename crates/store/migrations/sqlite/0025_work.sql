-- Work files for incoming documents (issue 25): the whole record as JSON beside the columns
-- its lists use — an organisation's work and an officer's (as main handler or co-handler),
-- open first, the earliest due first.
CREATE TABLE work_items (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id),
    version     INTEGER NOT NULL,
    org_code    TEXT NOT NULL REFERENCES organisations (code),
    status      TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    closed_at   INTEGER,
    -- The deadline the main handler was reminded of, and the leaders told was missed.
    reminded_due  INTEGER,
    escalated_due INTEGER,
    body        TEXT NOT NULL
);
CREATE INDEX work_items_org ON work_items (org_code, due_at);
CREATE INDEX work_items_open ON work_items (due_at) WHERE closed_at IS NULL;
-- Who works on each: the main handler and the co-handlers.
CREATE TABLE work_people (
    document_id INTEGER NOT NULL REFERENCES work_items (document_id),
    username    TEXT NOT NULL,
    main        INTEGER NOT NULL,
    PRIMARY KEY (document_id, username)
);
CREATE INDEX work_people_username ON work_people (username, document_id);
