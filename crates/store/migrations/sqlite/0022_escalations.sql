-- Escalations (issue 23): a workflow step's rule ("due within 1 working day → remind the
-- assignee", "overdue → tell the leaders") fired for a dossier at a step and a due time,
-- once: the row is written in the transaction that queues its messages, by whichever server
-- gets there first. A rule that does not apply to the dossier (another workflow's step of
-- the same name) is recorded as notify 'none', so it is not looked at again.
CREATE TABLE escalations (
    dossier_code TEXT NOT NULL REFERENCES dossiers (code),
    step         TEXT NOT NULL,
    rule         TEXT NOT NULL,
    due_at       INTEGER NOT NULL,
    org_code     TEXT NOT NULL,
    notify       TEXT NOT NULL CHECK (notify IN ('assignee', 'leader', 'none')),
    fired_at     INTEGER NOT NULL,
    PRIMARY KEY (dossier_code, step, rule, due_at)
);
CREATE INDEX escalations_org ON escalations (org_code, notify, fired_at);
-- The open dossiers near or past their due time, by step.
CREATE INDEX dossiers_open_step_due ON dossiers (step, due_at) WHERE finished_at IS NULL;
