-- Standing escalations (issue 28). A leader's escalation stands while its dossier waits at the
-- same step with the same due time; counting them joined every leader escalation ever fired
-- with its dossier, a read that grew with the years of archive (160 ms for the operations
-- centre at a million). The leaders' escalations whose dossier has not finished are kept here
-- as well, written with the escalation, and removed by the escalation job once the dossier
-- has finished (it never reopens): the leaders' card and list read this table, so their cost
-- follows the work in progress, not the archive. (A column marking the settled ones was
-- tried first: settling the archive's rows rewrote them all, and PostgreSQL's partial index,
-- built over the old versions too, came out archive-sized and went unused.)
CREATE TABLE escalations_standing (
    dossier_code TEXT NOT NULL,
    step         TEXT NOT NULL,
    rule         TEXT NOT NULL,
    due_at       INTEGER NOT NULL,
    org_code     TEXT NOT NULL,
    fired_at     INTEGER NOT NULL,
    PRIMARY KEY (dossier_code, step, rule, due_at),
    FOREIGN KEY (dossier_code, step, rule, due_at) REFERENCES escalations (dossier_code, step, rule, due_at)
);
CREATE INDEX escalations_standing_org ON escalations_standing (org_code, due_at);
-- The count by organisation joins in step, due time and dossier order with the open dossiers'
-- index, which now carries the code too, so neither side's rows are read: 45 ms to 4 on
-- SQLite and 27 ms to 6 on PostgreSQL with 9,978 standing rows and 20,000 open dossiers.
CREATE INDEX escalations_standing_at ON escalations_standing (step, due_at, dossier_code, org_code);
DROP INDEX dossiers_open_step_due;
CREATE INDEX dossiers_open_step_due ON dossiers (step, due_at, code) WHERE finished_at IS NULL;
INSERT INTO escalations_standing (dossier_code, step, rule, due_at, org_code, fired_at)
SELECT e.dossier_code, e.step, e.rule, e.due_at, e.org_code, e.fired_at
  FROM escalations e JOIN dossiers d ON d.code = e.dossier_code
 WHERE e.notify = 'leader' AND d.finished_at IS NULL;
