-- Who can receive dossiers where (an active staff account holding a role at an organisation)
-- is kept in memory with the procedures, read once per version instead of once per
-- submission (issue 20): every change to role assignments, and to an account's kind or
-- disabled flag, counts the reference version up in the same transaction.
CREATE TRIGGER role_assignments_insert_reference AFTER INSERT ON role_assignments BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER role_assignments_update_reference AFTER UPDATE ON role_assignments BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER role_assignments_delete_reference AFTER DELETE ON role_assignments BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER accounts_staffing_reference AFTER UPDATE OF kind, disabled ON accounts
    WHEN OLD.kind IS NOT NEW.kind OR OLD.disabled IS NOT NEW.disabled BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
-- Each organisation's bank account (where a dossier's fees are paid) is kept the same way.
CREATE TRIGGER bank_accounts_insert_reference AFTER INSERT ON bank_accounts BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER bank_accounts_update_reference AFTER UPDATE ON bank_accounts BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER bank_accounts_delete_reference AFTER DELETE ON bank_accounts BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
