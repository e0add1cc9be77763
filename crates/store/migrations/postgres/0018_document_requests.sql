-- A document sent with an `Idempotency-Key`: a retry (its answer lost to a dropped
-- connection or a server killed mid-request) finds the first document instead of numbering
-- and sending a second one.
CREATE TABLE document_requests (
    account_id   BIGINT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    document     BIGINT NOT NULL REFERENCES documents (id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
