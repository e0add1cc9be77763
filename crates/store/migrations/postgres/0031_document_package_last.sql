-- SQLite moves a register entry's package to the end of its row (issue 20), so reading the
-- entry's other columns no longer reads the package's overflow pages. PostgreSQL keeps large
-- values out of line (TOAST) and reads them only when asked: nothing to change here. The
-- number is kept so both engines' migrations stay in step.
SELECT 1;
