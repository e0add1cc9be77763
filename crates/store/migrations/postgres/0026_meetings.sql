-- Paperless meetings (issue 25): the whole meeting as JSON beside the columns its lists use,
-- and who is involved (organiser, chair, invitees, delegates) in a table of its own, so an
-- officer's list reads only their meetings. A signed meeting is never written again.
CREATE TABLE meetings (
    id         BIGSERIAL PRIMARY KEY,
    version    BIGINT NOT NULL,
    org_code   TEXT NOT NULL REFERENCES organisations (code),
    status     TEXT NOT NULL,
    starts_at  BIGINT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX meetings_org ON meetings (org_code, starts_at);
CREATE TABLE meeting_people (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    username   TEXT NOT NULL,
    PRIMARY KEY (meeting_id, username)
);
CREATE INDEX meeting_people_username ON meeting_people (username, meeting_id);
