-- Statistics of the operations centre, kept current in the transaction that changes a
-- dossier: counters per day and per month for each (organisation, procedure, channel), in
-- the order of motcua_domain::stats::MEASURES, and the open dossiers by due day.
CREATE TABLE stat_days (
    day             INTEGER NOT NULL,
    org_code        TEXT NOT NULL,
    procedure_code  TEXT NOT NULL,
    channel         TEXT NOT NULL,
    received        BIGINT NOT NULL DEFAULT 0,
    in_progress     BIGINT NOT NULL DEFAULT 0,
    done            BIGINT NOT NULL DEFAULT 0,
    returned        BIGINT NOT NULL DEFAULT 0,
    refused         BIGINT NOT NULL DEFAULT 0,
    stopped         BIGINT NOT NULL DEFAULT 0,
    withdrawn       BIGINT NOT NULL DEFAULT 0,
    full_online     BIGINT NOT NULL DEFAULT 0,
    fee_bearing     BIGINT NOT NULL DEFAULT 0,
    paid            BIGINT NOT NULL DEFAULT 0,
    cashless        BIGINT NOT NULL DEFAULT 0,
    reused          BIGINT NOT NULL DEFAULT 0,
    digitised       BIGINT NOT NULL DEFAULT 0,
    supplemented    BIGINT NOT NULL DEFAULT 0,
    rated           BIGINT NOT NULL DEFAULT 0,
    stars           BIGINT NOT NULL DEFAULT 0,
    apologised      BIGINT NOT NULL DEFAULT 0,
    finished        BIGINT NOT NULL DEFAULT 0,
    on_time         BIGINT NOT NULL DEFAULT 0,
    early           BIGINT NOT NULL DEFAULT 0,
    late            BIGINT NOT NULL DEFAULT 0,
    spent_minutes   BIGINT NOT NULL DEFAULT 0,
    limit_minutes   BIGINT NOT NULL DEFAULT 0,
    h1              BIGINT NOT NULL DEFAULT 0,
    h2              BIGINT NOT NULL DEFAULT 0,
    h3              BIGINT NOT NULL DEFAULT 0,
    h5              BIGINT NOT NULL DEFAULT 0,
    h7              BIGINT NOT NULL DEFAULT 0,
    h10             BIGINT NOT NULL DEFAULT 0,
    h15             BIGINT NOT NULL DEFAULT 0,
    h20             BIGINT NOT NULL DEFAULT 0,
    h30             BIGINT NOT NULL DEFAULT 0,
    h45             BIGINT NOT NULL DEFAULT 0,
    h60             BIGINT NOT NULL DEFAULT 0,
    hmore           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, org_code, procedure_code, channel)
) WITHOUT ROWID;

CREATE TABLE stat_months (
    month           INTEGER NOT NULL,
    org_code        TEXT NOT NULL,
    procedure_code  TEXT NOT NULL,
    channel         TEXT NOT NULL,
    received        BIGINT NOT NULL DEFAULT 0,
    in_progress     BIGINT NOT NULL DEFAULT 0,
    done            BIGINT NOT NULL DEFAULT 0,
    returned        BIGINT NOT NULL DEFAULT 0,
    refused         BIGINT NOT NULL DEFAULT 0,
    stopped         BIGINT NOT NULL DEFAULT 0,
    withdrawn       BIGINT NOT NULL DEFAULT 0,
    full_online     BIGINT NOT NULL DEFAULT 0,
    fee_bearing     BIGINT NOT NULL DEFAULT 0,
    paid            BIGINT NOT NULL DEFAULT 0,
    cashless        BIGINT NOT NULL DEFAULT 0,
    reused          BIGINT NOT NULL DEFAULT 0,
    digitised       BIGINT NOT NULL DEFAULT 0,
    supplemented    BIGINT NOT NULL DEFAULT 0,
    rated           BIGINT NOT NULL DEFAULT 0,
    stars           BIGINT NOT NULL DEFAULT 0,
    apologised      BIGINT NOT NULL DEFAULT 0,
    finished        BIGINT NOT NULL DEFAULT 0,
    on_time         BIGINT NOT NULL DEFAULT 0,
    early           BIGINT NOT NULL DEFAULT 0,
    late            BIGINT NOT NULL DEFAULT 0,
    spent_minutes   BIGINT NOT NULL DEFAULT 0,
    limit_minutes   BIGINT NOT NULL DEFAULT 0,
    h1              BIGINT NOT NULL DEFAULT 0,
    h2              BIGINT NOT NULL DEFAULT 0,
    h3              BIGINT NOT NULL DEFAULT 0,
    h5              BIGINT NOT NULL DEFAULT 0,
    h7              BIGINT NOT NULL DEFAULT 0,
    h10             BIGINT NOT NULL DEFAULT 0,
    h15             BIGINT NOT NULL DEFAULT 0,
    h20             BIGINT NOT NULL DEFAULT 0,
    h30             BIGINT NOT NULL DEFAULT 0,
    h45             BIGINT NOT NULL DEFAULT 0,
    h60             BIGINT NOT NULL DEFAULT 0,
    hmore           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, org_code, procedure_code, channel)
) WITHOUT ROWID;

CREATE TABLE stat_open (
    org_code       TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    channel        TEXT NOT NULL,
    -- yyyymmdd of the appointment; 0 before reception.
    due_day        INTEGER NOT NULL,
    n              BIGINT NOT NULL,
    PRIMARY KEY (org_code, procedure_code, channel, due_day)
) WITHOUT ROWID;

-- The open dossiers due today, counted exactly against the clock.
CREATE INDEX dossiers_open_due ON dossiers (due_at) WHERE finished_at IS NULL AND status <> 7;

-- How each dossier arrived, beside its body, for the exact count above.
ALTER TABLE dossiers ADD COLUMN channel TEXT NOT NULL DEFAULT 'in_person';
UPDATE dossiers SET channel = json_extract(body, '$.channel');
