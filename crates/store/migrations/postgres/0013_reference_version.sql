-- Servers keep procedures, workflows and organisations in memory and check one number per
-- request (issue 20): every change to those tables, by any server or by hand, counts it up
-- in the same transaction, so a server never answers from a copy older than its read.
INSERT INTO meta (key, value) VALUES ('reference_version', '0') ON CONFLICT (key) DO NOTHING;
CREATE FUNCTION count_reference_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'reference_version';
    RETURN NULL;
END
$$;
CREATE TRIGGER procedures_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON procedures
    FOR EACH STATEMENT EXECUTE FUNCTION count_reference_change();
CREATE TRIGGER procedure_orgs_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON procedure_orgs
    FOR EACH STATEMENT EXECUTE FUNCTION count_reference_change();
CREATE TRIGGER organisations_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION count_reference_change();
CREATE TRIGGER workflows_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflows
    FOR EACH STATEMENT EXECUTE FUNCTION count_reference_change();
