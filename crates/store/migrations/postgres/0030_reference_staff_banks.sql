-- Who can receive dossiers where (an active staff account holding a role at an organisation)
-- is kept in memory with the procedures, read once per version instead of once per
-- submission (issue 20): every change to role assignments, and to an account's kind or
-- disabled flag, counts the reference version up in the same transaction.
CREATE TRIGGER role_assignments_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION count_reference_change();
CREATE TRIGGER accounts_staffing_reference AFTER UPDATE OF kind, disabled ON accounts
    FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.disabled IS DISTINCT FROM NEW.disabled)
    EXECUTE FUNCTION count_reference_change();
-- Each organisation's bank account (where a dossier's fees are paid) is kept the same way.
CREATE TRIGGER bank_accounts_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bank_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION count_reference_change();
