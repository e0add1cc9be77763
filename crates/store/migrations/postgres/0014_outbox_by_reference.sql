-- A document's package is kept once (issue 20): the outbox item that delivers a document
-- points at its register row instead of holding a second copy of the package (with its
-- attachments, base64). Only a package the row no longer holds — a status, or a revision
-- sent before the row's package was replaced — is kept in the item itself.
ALTER TABLE exchange_outbox ALTER COLUMN package DROP NOT NULL;
ALTER TABLE exchange_outbox ADD COLUMN document_row BIGINT REFERENCES documents (id);
ALTER TABLE exchange_outbox ADD CONSTRAINT exchange_outbox_package_or_row
    CHECK (package IS NOT NULL OR document_row IS NOT NULL);
CREATE INDEX exchange_outbox_document ON exchange_outbox (document_row);
