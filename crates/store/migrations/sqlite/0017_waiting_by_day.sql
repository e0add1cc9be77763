-- /metrics counts the tickets waiting today per centre; the index of 0010 leads with the
-- centre, so that count would read every ticket of every day.
CREATE INDEX queue_tickets_by_day ON queue_tickets (day, status, centre_code);
