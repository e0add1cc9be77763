-- Work files for incoming documents (issue 25): the whole record as JSON beside the columns
-- its lists use — an organisation's work and an officer's (as main handler or co-handler),
-- open first, the earliest due first.
CREATE TABLE work_items (
    document_id BIGINT PRIMARY KEY REFERENCES documents (id),
    version     BIGINT NOT NULL,
    org_code    TEXT NOT NULL REFERENCES organisations (code),
    status      TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    closed_at   BIGINT,
    -- The deadline the main handler was reminded of, and the leaders told was missed.
    reminded_due  BIGINT,
    escalated_due BIGINT,
    body        TEXT NOT NULL
);
CREATE INDEX work_items_org ON work_items (org_code, due_at);
CREATE INDEX work_items_open ON work_items (due_at) WHERE closed_at IS NULL;
-- Who works on each: the main handler and the co-handlers.
CREATE TABLE work_people (
    document_id BIGINT NOT NULL REFERENCES work_items (document_id),
    username    TEXT NOT NULL,
    main        BOOLEAN NOT NULL,
    PRIMARY KEY (document_id, username)
);
CREATE INDEX work_people_username ON work_people (username, document_id);
