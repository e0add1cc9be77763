-- Servers keep procedures, workflows and organisations in memory and check one number per
-- request (issue 20): every change to those tables, by any server or by hand, counts it up
-- in the same transaction, so a server never answers from a copy older than its read.
INSERT INTO meta (key, value) VALUES ('reference_version', '0') ON CONFLICT (key) DO NOTHING;
CREATE TRIGGER procedures_insert_reference AFTER INSERT ON procedures BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER procedures_update_reference AFTER UPDATE ON procedures BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER procedures_delete_reference AFTER DELETE ON procedures BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER procedure_orgs_insert_reference AFTER INSERT ON procedure_orgs BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER procedure_orgs_update_reference AFTER UPDATE ON procedure_orgs BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER procedure_orgs_delete_reference AFTER DELETE ON procedure_orgs BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER organisations_insert_reference AFTER INSERT ON organisations BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER organisations_update_reference AFTER UPDATE ON organisations BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER organisations_delete_reference AFTER DELETE ON organisations BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER workflows_insert_reference AFTER INSERT ON workflows BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER workflows_update_reference AFTER UPDATE ON workflows BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
CREATE TRIGGER workflows_delete_reference AFTER DELETE ON workflows BEGIN
    UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_version';
END;
