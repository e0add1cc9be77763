-- Kiosks, queue tickets and appointments (issue 9).
--
-- The notification outbox also carries messages that belong to no dossier (one-time codes,
-- appointment confirmations and reminders): dossier_code becomes optional and such messages
-- are kept once per (topic, channel). SQLite cannot drop NOT NULL, so the table is rebuilt.
CREATE TABLE notifications_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_code    TEXT REFERENCES dossiers (code),
    event_seq       INTEGER NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    created_at      INTEGER NOT NULL,
    topic           TEXT,
    UNIQUE (dossier_code, event_seq, channel)
);
INSERT INTO notifications_new (id, dossier_code, event_seq, channel, recipient, subject, body, attempts,
    next_attempt_at, last_error, sent_at, created_at)
SELECT id, dossier_code, event_seq, channel, recipient, subject, body, attempts, next_attempt_at, last_error,
    sent_at, created_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE sent_at IS NULL;
CREATE UNIQUE INDEX notifications_topic ON notifications (topic, channel) WHERE topic IS NOT NULL;

CREATE TABLE queue_services (
    centre_code TEXT NOT NULL REFERENCES organisations (code),
    letter      TEXT NOT NULL CHECK (length(letter) = 1),
    name        TEXT NOT NULL,
    PRIMARY KEY (centre_code, letter)
);

CREATE TABLE queue_counters (
    centre_code TEXT NOT NULL REFERENCES organisations (code),
    number      INTEGER NOT NULL CHECK (number > 0),
    name        TEXT NOT NULL,
    -- The letters of the services it calls, e.g. 'AB'.
    letters     TEXT NOT NULL,
    PRIMARY KEY (centre_code, number)
);

-- The last number given per centre, service and day: tickets are gap-free and unique.
CREATE TABLE queue_sequences (
    centre_code TEXT NOT NULL,
    letter      TEXT NOT NULL,
    day         TEXT NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (centre_code, letter, day)
);

CREATE TABLE queue_tickets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    centre_code TEXT NOT NULL REFERENCES organisations (code),
    letter      TEXT NOT NULL,
    day         TEXT NOT NULL,
    number      INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'served', 'no_show')),
    issued_at   BIGINT NOT NULL,
    called_at   BIGINT,
    finished_at BIGINT,
    counter     INTEGER,
    called_by   BIGINT REFERENCES accounts (id),
    UNIQUE (centre_code, day, letter, number)
);
CREATE INDEX queue_tickets_waiting ON queue_tickets (centre_code, day, status, id);

CREATE TABLE service_points (
    code        TEXT PRIMARY KEY,
    org_code    TEXT NOT NULL REFERENCES organisations (code),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('desk', 'department', 'doctor')),
    description TEXT NOT NULL DEFAULT '',
    parent_code TEXT REFERENCES service_points (code),
    active      BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX service_points_org ON service_points (org_code);

-- booked never exceeds capacity: bookings take a place with a conditional update, and the
-- check is the last word if code ever tried otherwise.
CREATE TABLE appointment_slots (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    point_code TEXT NOT NULL REFERENCES service_points (code),
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    capacity   INTEGER NOT NULL CHECK (capacity > 0),
    booked     INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    CHECK (ends_at > starts_at),
    UNIQUE (point_code, starts_at)
);
CREATE INDEX appointment_slots_start ON appointment_slots (starts_at);

CREATE TABLE appointments (
    code         TEXT PRIMARY KEY,
    slot_id      BIGINT NOT NULL REFERENCES appointment_slots (id),
    full_name    TEXT NOT NULL,
    phone        TEXT NOT NULL,
    email        TEXT,
    note         TEXT NOT NULL DEFAULT '',
    account_id   BIGINT REFERENCES accounts (id),
    status       TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'attended')),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    reminded_for BIGINT
);
CREATE INDEX appointments_slot ON appointments (slot_id);

-- One-time codes a kiosk sends to the phone or e-mail registered with an ID number. Only
-- the hash is kept.
CREATE TABLE kiosk_otps (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    -- The kiosk holds the challenge; only its hash is looked up.
    challenge_hash TEXT NOT NULL UNIQUE,
    code_hash  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX kiosk_otps_account ON kiosk_otps (account_id, created_at);
