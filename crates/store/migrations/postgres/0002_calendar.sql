-- Day swaps and extra days off announced by the Government, year by year.
CREATE TABLE calendar_adjustments (
    day  TEXT PRIMARY KEY,            -- YYYY-MM-DD
    kind TEXT NOT NULL CHECK (kind IN ('off', 'work')),
    name TEXT NOT NULL
);
