-- Citizens' feedback and petitions (issue 24): the whole record as JSON, and the columns its
-- lists use: an organisation's queue by status and deadline, a sender's own, and the public
-- page of published answers with a folded text to search, and the figures by organisation and
-- topic over the days received.
CREATE TABLE feedback (
    code        TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    org_code    TEXT NOT NULL REFERENCES organisations (code),
    topic       TEXT NOT NULL,
    status      INTEGER NOT NULL,
    account_id  BIGINT,
    published   BOOLEAN NOT NULL,
    received_at BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    closed_at   BIGINT,
    search_text TEXT NOT NULL,
    -- The deadline the handling officers were reminded of, and the leaders told was missed.
    reminded_due  BIGINT,
    escalated_due BIGINT,
    body        TEXT NOT NULL
);
CREATE INDEX feedback_queue ON feedback (org_code, status, due_at);
CREATE INDEX feedback_sender ON feedback (account_id, received_at) WHERE account_id IS NOT NULL;
CREATE INDEX feedback_public ON feedback (closed_at) WHERE published;
CREATE INDEX feedback_received ON feedback (received_at);
CREATE INDEX feedback_open ON feedback (due_at) WHERE closed_at IS NULL;
