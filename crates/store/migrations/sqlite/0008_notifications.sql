-- Notifications to applicants (issue 7). Every dossier event written from now on waits to be
-- looked at by the notifier (events of before need nothing sent); what it decides to send
-- goes into a durable outbox, retried until the mail server or SMS provider takes it.
ALTER TABLE dossier_events ADD COLUMN notified BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX dossier_events_unnotified ON dossier_events (at_us) WHERE NOT notified;

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_code    TEXT NOT NULL REFERENCES dossiers (code),
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
    UNIQUE (dossier_code, event_seq, channel)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE sent_at IS NULL;
