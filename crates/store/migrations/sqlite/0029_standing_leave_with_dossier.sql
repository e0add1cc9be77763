-- A dossier's standing escalations now leave `escalations_standing` in the transaction that
-- finishes or closes it, instead of in a sweep by the escalation job every half minute (which
-- looked up the dossier of every standing row: 76 ms warm, over a second cold, on SQLite at a
-- million dossiers). Those the last sweep had not reached go now, and those of dossiers
-- withdrawn by the applicant (closed, status 7, with no finish time), which the sweep never
-- took: the other closed statuses (3 not accepted, 8 stopped, 10 returned) all have one. The
-- look-up is one per standing row, by the dossiers' primary key.
DELETE FROM escalations_standing
 WHERE EXISTS (SELECT 1 FROM dossiers d
                WHERE d.code = escalations_standing.dossier_code
                  AND (d.finished_at IS NOT NULL OR d.status IN (3, 7, 8, 10)));
