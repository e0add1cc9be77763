-- Sign-in through an OpenID Connect provider (VNeID, the national portal's single sign-on).

-- An authorization request on its way to the provider: kept by the hash of its `state` until
-- the browser comes back (on any server sharing the database), spent once.
CREATE TABLE identity_requests (
    state_hash    TEXT PRIMARY KEY,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path     TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX identity_requests_expiry ON identity_requests (expires_at);

-- A kiosk's sign-in with a phone (the device authorization grant, RFC 8628) waiting for the
-- citizen to approve it: kept by the hash of the kiosk's ticket, with the provider's answer
-- (device code, user code, polling interval) as JSON.
CREATE TABLE identity_device_requests (
    ticket_hash TEXT PRIMARY KEY,
    centre      TEXT NOT NULL,
    response    TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX identity_device_requests_expiry ON identity_device_requests (expires_at);

-- Which account a provider's subject signs in to, with what the provider last said of the
-- person (name, birth date, sex, address: JSON) to prefill declarations.
CREATE TABLE identity_links (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    profile    TEXT NOT NULL,
    linked_at  INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identity_links_account ON identity_links (account_id);

-- A verified identity whose CCCD matches a local account that has a password: linked only
-- once the person also gives that password. Kept by the hash of a random offer token.
CREATE TABLE identity_link_offers (
    offer_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    identity   TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX identity_link_offers_expiry ON identity_link_offers (expires_at);

-- How a session was opened: 0 a local password, 1 or 2 the provider's assurance level; and
-- the ID token to name the session when signing out at the provider too.
ALTER TABLE sessions ADD COLUMN assurance INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN id_token TEXT;
