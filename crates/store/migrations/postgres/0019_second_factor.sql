-- Officers' second factor (TOTP, RFC 6238) with one-time recovery codes.

-- Which roles of an organisation must use a second factor. No row: the default (leaders,
-- clerks and administrators); an empty list turns it off for the organisation.
CREATE TABLE second_factor_policies (
    org_code   TEXT PRIMARY KEY REFERENCES organisations (code),
    roles      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- An enrolled authenticator: its secret (base32) and the last time step a code was accepted
-- for, so no code is accepted twice (RFC 6238, section 5.2).
CREATE TABLE totp_secrets (
    account_id  BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    last_step   BIGINT NOT NULL,
    enrolled_at BIGINT NOT NULL
);

-- One-time recovery codes, kept only as their SHA-256.
CREATE TABLE recovery_codes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

-- A sign-in whose password was right, waiting for its second factor (or for the enrolment
-- of one: then the secret being enrolled). Kept by the hash of its challenge, shared by every
-- server, spent when it opens a session.
CREATE TABLE sign_in_challenges (
    challenge_hash TEXT PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    pending_secret TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    expires_at     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX sign_in_challenges_expiry ON sign_in_challenges (expires_at);
