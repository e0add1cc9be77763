//! Embedded migrations, one list per backend.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

fn migrator(list: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|&(v, d, sql)| Migration::new(v, Cow::Borrowed(d), MigrationType::Simple, sql.into_sql_str(), false))
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
    ])
}
