//! Embedded migrations, one list per backend.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// A migration whose first line is `-- no-transaction` (sqlx's own mark) runs outside the
/// transaction sqlx would wrap it in: one that must change what SQLite takes only outside a
/// transaction (`PRAGMA foreign_keys`) and opens its own.
const NO_TRANSACTION: &str = "-- no-transaction";

fn migrator(list: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|&(v, d, sql)| {
                let no_tx = sql.starts_with(NO_TRANSACTION);
                Migration::new(v, Cow::Borrowed(d), MigrationType::Simple, sql.into_sql_str(), no_tx)
            })
            .collect(),
    )
}

pub(crate) fn sqlite() -> Migrator {
    migrator(&[
        (1, "foundation", include_str!("../migrations/sqlite/0001_foundation.sql")),
        (2, "calendar", include_str!("../migrations/sqlite/0002_calendar.sql")),
        (3, "dossiers", include_str!("../migrations/sqlite/0003_dossiers.sql")),
        (4, "attachments", include_str!("../migrations/sqlite/0004_attachments.sql")),
        (5, "portal", include_str!("../migrations/sqlite/0005_portal.sql")),
        (6, "exchange", include_str!("../migrations/sqlite/0006_exchange.sql")),
        (7, "payments", include_str!("../migrations/sqlite/0007_payments.sql")),
        (8, "notifications", include_str!("../migrations/sqlite/0008_notifications.sql")),
        (9, "stats", include_str!("../migrations/sqlite/0009_stats.sql")),
        (10, "service", include_str!("../migrations/sqlite/0010_service.sql")),
        (11, "hardening", include_str!("../migrations/sqlite/0011_hardening.sql")),
        (12, "inbox_search", include_str!("../migrations/sqlite/0012_inbox_search.sql")),
        (13, "reference_version", include_str!("../migrations/sqlite/0013_reference_version.sql")),
        (14, "outbox_by_reference", include_str!("../migrations/sqlite/0014_outbox_by_reference.sql")),
        (15, "outbox_reference", include_str!("../migrations/sqlite/0015_outbox_reference.sql")),
        (16, "shared_limits", include_str!("../migrations/sqlite/0016_shared_limits.sql")),
        (17, "waiting_by_day", include_str!("../migrations/sqlite/0017_waiting_by_day.sql")),
        (18, "document_requests", include_str!("../migrations/sqlite/0018_document_requests.sql")),
        (19, "second_factor", include_str!("../migrations/sqlite/0019_second_factor.sql")),
        (20, "identity", include_str!("../migrations/sqlite/0020_identity.sql")),
        (21, "workflow_versions", include_str!("../migrations/sqlite/0021_workflow_versions.sql")),
        (22, "escalations", include_str!("../migrations/sqlite/0022_escalations.sql")),
        (23, "revocations", include_str!("../migrations/sqlite/0023_revocations.sql")),
        (24, "feedback", include_str!("../migrations/sqlite/0024_feedback.sql")),
        (25, "work", include_str!("../migrations/sqlite/0025_work.sql")),
        (26, "meetings", include_str!("../migrations/sqlite/0026_meetings.sql")),
        (27, "lists_at_volume", include_str!("../migrations/sqlite/0027_lists_at_volume.sql")),
        (28, "escalations_standing", include_str!("../migrations/sqlite/0028_escalations_standing.sql")),
        (29, "standing_leave_with_dossier", include_str!("../migrations/sqlite/0029_standing_leave_with_dossier.sql")),
        (30, "reference_staff_banks", include_str!("../migrations/sqlite/0030_reference_staff_banks.sql")),
        (31, "document_package_last", include_str!("../migrations/sqlite/0031_document_package_last.sql")),
        (32, "file_contents", include_str!("../migrations/sqlite/0032_file_contents.sql")),
        (33, "recent_words", include_str!("../migrations/sqlite/0033_recent_words.sql")),
    ])
}

pub(crate) fn postgres() -> Migrator {
    migrator(&[
        (1, "foundation", include_str!("../migrations/postgres/0001_foundation.sql")),
        (2, "calendar", include_str!("../migrations/postgres/0002_calendar.sql")),
        (3, "dossiers", include_str!("../migrations/postgres/0003_dossiers.sql")),
        (4, "attachments", include_str!("../migrations/postgres/0004_attachments.sql")),
        (5, "portal", include_str!("../migrations/postgres/0005_portal.sql")),
        (6, "exchange", include_str!("../migrations/postgres/0006_exchange.sql")),
        (7, "payments", include_str!("../migrations/postgres/0007_payments.sql")),
        (8, "notifications", include_str!("../migrations/postgres/0008_notifications.sql")),
        (9, "stats", include_str!("../migrations/postgres/0009_stats.sql")),
        (10, "service", include_str!("../migrations/postgres/0010_service.sql")),
        (11, "hardening", include_str!("../migrations/postgres/0011_hardening.sql")),
        (12, "inbox_search", include_str!("../migrations/postgres/0012_inbox_search.sql")),
        (13, "reference_version", include_str!("../migrations/postgres/0013_reference_version.sql")),
        (14, "outbox_by_reference", include_str!("../migrations/postgres/0014_outbox_by_reference.sql")),
        (15, "outbox_reference", include_str!("../migrations/postgres/0015_outbox_reference.sql")),
        (16, "shared_limits", include_str!("../migrations/postgres/0016_shared_limits.sql")),
        (17, "waiting_by_day", include_str!("../migrations/postgres/0017_waiting_by_day.sql")),
        (18, "document_requests", include_str!("../migrations/postgres/0018_document_requests.sql")),
        (19, "second_factor", include_str!("../migrations/postgres/0019_second_factor.sql")),
        (20, "identity", include_str!("../migrations/postgres/0020_identity.sql")),
        (21, "workflow_versions", include_str!("../migrations/postgres/0021_workflow_versions.sql")),
        (22, "escalations", include_str!("../migrations/postgres/0022_escalations.sql")),
        (23, "revocations", include_str!("../migrations/postgres/0023_revocations.sql")),
        (24, "feedback", include_str!("../migrations/postgres/0024_feedback.sql")),
        (25, "work", include_str!("../migrations/postgres/0025_work.sql")),
        (26, "meetings", include_str!("../migrations/postgres/0026_meetings.sql")),
        (27, "lists_at_volume", include_str!("../migrations/postgres/0027_lists_at_volume.sql")),
        (28, "escalations_standing", include_str!("../migrations/postgres/0028_escalations_standing.sql")),
        (
            29,
            "standing_leave_with_dossier",
            include_str!("../migrations/postgres/0029_standing_leave_with_dossier.sql"),
        ),
        (30, "reference_staff_banks", include_str!("../migrations/postgres/0030_reference_staff_banks.sql")),
        (31, "document_package_last", include_str!("../migrations/postgres/0031_document_package_last.sql")),
        (32, "file_contents", include_str!("../migrations/postgres/0032_file_contents.sql")),
    ])
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::Row;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    /// SQLite's migration 31 rebuilds `documents` with its package last: a database written at
    /// 30, with entries the other tables refer to and a counter past its last row, keeps every
    /// row, id, reference and the counter, and refuses a dangling reference afterwards.
    #[tokio::test]
    async fn sqlite_package_moves_last_keeping_rows_references_and_counter() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let opts = SqliteConnectOptions::from_str(&url).expect("url").create_if_missing(true).foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.expect("open");
        let all = super::sqlite();
        let upto_30 =
            sqlx::migrate::Migrator::with_migrations(all.iter().filter(|m| m.version <= 30).cloned().collect());
        upto_30.run(&pool).await.expect("migrations up to 30");
        sqlx::raw_sql(
            "INSERT INTO units (code, name, name_folded, kind, level) VALUES ('22', 'Quảng Ninh', 'quang ninh', 'province', 1);
             INSERT INTO organisations (code, name, kind, unit_code) VALUES ('000.00.01.H22', 'UBND', 'committee', '22');
             INSERT INTO documents (id, org_code, direction, year, number, document_id, from_org, subject, header, package,
                                    state, revision, pending, created_at, updated_at)
                 VALUES (1, '000.00.01.H22', 'out', 2026, 1, 'd-1', '000.00.01.H22', 'Một', '<h/>', 'P1', 'sent', 0, NULL, 10, 11),
                        (2, '000.00.01.H22', 'in', 2026, 1, 'd-2', '000.00.02.H22', 'Hai', '<h2/>', 'P2', 'registered', 1, 'x', 12, 13),
                        (7, '000.00.01.H22', 'out', 2026, 2, 'd-7', '000.00.01.H22', 'Bảy', '<h7/>', 'P7', 'sent', 0, NULL, 14, 15);
             DELETE FROM documents WHERE id = 7;
             INSERT INTO exchange_outbox (target, kind, reference, package, document_row, next_attempt_at, created_at)
                 VALUES ('local', 'document', 'd-1', NULL, 1, 0, 0);",
        )
        .execute(&pool)
        .await
        .expect("rows at 30");
        let columns = |pool: sqlx::SqlitePool| async move {
            sqlx::query("PRAGMA table_info(documents)")
                .fetch_all(&pool)
                .await
                .expect("columns")
                .iter()
                .map(|r| r.get::<String, _>("name"))
                .collect::<Vec<_>>()
        };
        assert_eq!(columns(pool.clone()).await[9], "package", "at 30 the package is in the middle");
        let rows = "SELECT id || '|' || org_code || '|' || direction || '|' || year || '|' || number || '|' || document_id
                    || '|' || from_org || '|' || subject || '|' || header || '|' || package || '|' || state || '|'
                    || revision || '|' || COALESCE(pending, '-') || '|' || created_at || '|' || updated_at FROM documents ORDER BY id";
        let before: Vec<String> = sqlx::query_scalar(rows).fetch_all(&pool).await.expect("rows");

        all.run(&pool).await.expect("migration 31");

        let after_columns = columns(pool.clone()).await;
        assert_eq!(after_columns.last().map(String::as_str), Some("package"), "{after_columns:?}");
        assert_eq!(after_columns.len(), 15, "{after_columns:?}");
        assert_eq!(sqlx::query_scalar::<_, String>(rows).fetch_all(&pool).await.expect("rows"), before);
        let dangling: Vec<sqlx::sqlite::SqliteRow> =
            sqlx::query("PRAGMA foreign_key_check(exchange_outbox)").fetch_all(&pool).await.expect("check");
        assert!(dangling.is_empty(), "the outbox item still finds its entry");
        let refused = sqlx::query(
            "INSERT INTO exchange_outbox (target, kind, reference, package, document_row, next_attempt_at, created_at)
             VALUES ('local', 'document', 'd-9', NULL, 99, 0, 0)",
        )
        .execute(&pool)
        .await;
        assert!(refused.is_err(), "foreign keys are on again after the rebuild");
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO documents (org_code, direction, year, number, document_id, from_org, subject, header, package,
                                    state, created_at, updated_at)
             VALUES ('000.00.01.H22', 'out', 2026, 3, 'd-8', '000.00.01.H22', 'Tám', '<h/>', 'P8', 'sent', 16, 16)
             RETURNING id",
        )
        .fetch_one(&pool)
        .await
        .expect("a new entry");
        assert_eq!(next, 8, "ids go on past the deleted 7, as AUTOINCREMENT promises");
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&pool)
        .await
        .expect("indexes");
        assert_eq!(indexes, ["documents_document_id", "documents_register"]);
    }
}
