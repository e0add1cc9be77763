-- What outside testing found (issue 18).

-- Partners that sign requests to us have a kind, checked per endpoint: a carrier's secret
-- cannot confirm a payment. Those registered before kinds existed were registered as
-- payment gateways.
ALTER TABLE payment_gateways ADD COLUMN kind TEXT NOT NULL DEFAULT 'payment_gateway';

-- A quarantined package belongs to the organisations it was addressed to (or whose officer
-- imported it): each sees only its own. Only the first part of a package is kept, with its
-- whole size and digest, and rows past the retention period are purged.
ALTER TABLE exchange_quarantine ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE exchange_quarantine ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
UPDATE exchange_quarantine SET size = octet_length(package);
CREATE INDEX exchange_quarantine_received ON exchange_quarantine (received_at);
CREATE TABLE exchange_quarantine_orgs (
    quarantine_id BIGINT NOT NULL,
    org_code      TEXT NOT NULL,
    PRIMARY KEY (org_code, quarantine_id)
);

-- One-time codes sit in the outbox only while they can be used: the notifier erases the text
-- of older ones. This index holds just the code messages not yet erased.
CREATE INDEX notifications_live_codes ON notifications (created_at)
    WHERE topic LIKE 'otp:%' AND body <> '[Mã xác thực đã hết hiệu lực; không lưu lại]';

-- A citizen's registration waits here until the code sent to the phone they gave is typed:
-- the answer to a registration no longer tells whether a username or CCCD is taken.
CREATE TABLE registration_codes (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    challenge_hash TEXT NOT NULL UNIQUE,
    code_hash      TEXT NOT NULL,
    phone          TEXT NOT NULL,
    body           TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    used_at        BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX registration_codes_phone ON registration_codes (phone, created_at);
-- Only those still holding what was typed (the notifier clears them once used or expired).
CREATE INDEX registration_codes_held ON registration_codes (expires_at) WHERE body <> '';
