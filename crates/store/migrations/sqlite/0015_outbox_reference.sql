-- A document's page lists its deliveries by DocumentId, in order: the outbox keeps every
-- delivered item, so it is searched through this index instead of read whole.
CREATE INDEX exchange_outbox_reference ON exchange_outbox (reference, id);
