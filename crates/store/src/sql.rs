//! The SQL both backends share. Statements are written once, with `$n` placeholders that
//! SQLite and PostgreSQL both accept, and instantiated per backend by `store_impl!`; what
//! differs (connection setup, migrations, DDL) lives beside it.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::str::FromStr;

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::calendar::{Adjustment, AdjustmentKind};
use motcua_domain::{
    Account, AccountKind, AdminUnit, BoundedText, Cccd, Email, Name, NewAccount, OrgCode, OrgKind, Organisation, Phone,
    Procedure, ProcedureCode, Role, RoleAssignment, UnitCode, Username,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use motcua_domain::DossierCode;
use motcua_domain::attachment::{Attachment, AttachmentKind};
use motcua_domain::audit::{Event, EventDraft};
use motcua_domain::workflow::{Dossier, Workflow};

use crate::{
    ACQUIRE_TIMEOUT, AuditColumns, AuditRecord, Backend, BuildDossier, ConnectOptions, CreateOutcome, DossierFilter,
    Draft, IdempotencyKey, OrgFilter, Page, Paged, Placement, ProcedureFilter, Rating, Result, Store, StoreError,
    StoredDossier, UnitFilter,
};

/// Embedded SQLite, one file; WAL with full sync so an acknowledged write survives a crash
/// or power loss.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(opts)
            .await?;
        crate::migrations::sqlite().run(&pool).await?;
        sqlite_impl::fill_search_text(&pool).await?;
        Ok(Self { pool })
    }
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// PostgreSQL, for large deployments.
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self> {
        let mut opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        if let Some(schema) = &options.pg_schema {
            if schema.is_empty() || !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(StoreError::BadUrl(format!("tên schema không hợp lệ: {schema}")));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(opts.clone())
                .await?;
            sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {schema}"))).execute(&admin).await?;
            admin.close().await;
            opts = opts.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(opts)
            .await?;
        crate::migrations::postgres().run(&pool).await?;
        postgres_impl::fill_search_text(&pool).await?;
        Ok(Self { pool })
    }
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

pub(crate) fn corrupt<E: Display>(what: &'static str) -> impl Fn(E) -> StoreError {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn timestamp(us: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(us).map_err(corrupt("thời điểm"))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_contains(word: &str) -> String {
    let mut s = String::with_capacity(word.len() + 2);
    s.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

const ACCOUNT_COLUMNS: &str =
    "a.id, a.username, a.full_name, a.kind, a.cccd, a.email, a.phone, a.created_at, a.disabled";

const EVENT_COLUMNS: &str = "dossier_code, seq, at_us, actor_account, actor, action, from_status, to_status, \
     from_step, to_step, details, state_hash, prev_hash, hash";

/// A durable queue table of the form both outboxes share: items are due when not done
/// and `next_attempt_at` has come; each try counts an attempt, keeps the last error and
/// sets the next time, or marks the item done.
pub(crate) struct RetryQueue {
    pub table: &'static str,
    pub columns: &'static str,
    /// The column set when the item is done (`delivered_at`, `sent_at`).
    pub done: &'static str,
    /// How much of an error message is kept.
    pub error_chars: usize,
}

/// The queue operations, for one backend's pool; expanded inside each backend module.
macro_rules! retry_queue_fns {
    ($db:ty) => {
        async fn queue_due(
            pool: &sqlx::Pool<$db>,
            q: &crate::sql::RetryQueue,
            now: Timestamp,
            limit: i64,
        ) -> Result<Vec<<$db as sqlx::Database>::Row>> {
            Ok(sqlx::query(AssertSqlSafe(format!(
                "SELECT {} FROM {} WHERE {} IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
                q.columns, q.table, q.done
            )))
            .bind(micros(now))
            .bind(limit)
            .fetch_all(pool)
            .await?)
        }

        async fn queue_done(pool: &sqlx::Pool<$db>, q: &crate::sql::RetryQueue, id: i64, at: Timestamp) -> Result<()> {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {} SET {} = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2",
                q.table, q.done
            )))
            .bind(micros(at))
            .bind(id)
            .execute(pool)
            .await?;
            Ok(())
        }

        async fn queue_retry(
            pool: &sqlx::Pool<$db>,
            q: &crate::sql::RetryQueue,
            id: i64,
            error: &str,
            next: Timestamp,
        ) -> Result<()> {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {} SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
                q.table
            )))
            .bind(error.chars().take(q.error_chars).collect::<String>())
            .bind(micros(next))
            .bind(id)
            .execute(pool)
            .await?;
            Ok(())
        }
    };
}
pub(crate) use retry_queue_fns;

fn dossier_body(d: &Dossier) -> Result<String> {
    serde_json::to_string(d).map_err(corrupt("hồ sơ"))
}

/// What an officer's search matches besides the code: the applicant's name without
/// diacritics, the CCCD and the phone number.
pub(crate) fn search_text(d: &Dossier) -> String {
    let a = &d.applicant;
    let mut s = a.full_name.folded();
    for part in [a.cccd.as_ref().map(|c| c.as_str()), a.phone.as_ref().map(|p| p.as_str())].into_iter().flatten() {
        s.push(' ');
        s.push_str(part);
    }
    s
}

macro_rules! store_impl {
    ($module:ident, $store:ident, $db:ty, $backend:expr, $begin_write:expr) => {
        mod $module {
            use super::*;

            type DbRow = <$db as sqlx::Database>::Row;

            crate::sql_stats::write_snapshot_fn!($db);

            fn unit_from_row(r: &DbRow) -> Result<AdminUnit> {
                let level: i32 = r.try_get("level")?;
                Ok(AdminUnit {
                    code: UnitCode::parse(r.try_get::<&str, _>("code")?).map_err(corrupt("mã đơn vị"))?,
                    name: Name::parse("tên", r.try_get::<&str, _>("name")?).map_err(corrupt("tên đơn vị"))?,
                    kind: BoundedText::parse("loại", r.try_get::<&str, _>("kind")?).map_err(corrupt("loại đơn vị"))?,
                    parent: r
                        .try_get::<Option<&str>, _>("parent_code")?
                        .map(UnitCode::parse)
                        .transpose()
                        .map_err(corrupt("đơn vị cha"))?,
                    level: u8::try_from(level).map_err(corrupt("cấp đơn vị"))?,
                })
            }

            fn org_from_row(r: &DbRow) -> Result<Organisation> {
                Ok(Organisation {
                    code: OrgCode::parse(r.try_get::<&str, _>("code")?).map_err(corrupt("mã cơ quan"))?,
                    name: Name::parse("tên", r.try_get::<&str, _>("name")?).map_err(corrupt("tên cơ quan"))?,
                    kind: OrgKind::parse(r.try_get::<&str, _>("kind")?)
                        .ok_or_else(|| StoreError::Corrupt("loại cơ quan".into()))?,
                    unit: UnitCode::parse(r.try_get::<&str, _>("unit_code")?).map_err(corrupt("đơn vị của cơ quan"))?,
                    parent: r
                        .try_get::<Option<&str>, _>("parent_code")?
                        .map(OrgCode::parse)
                        .transpose()
                        .map_err(corrupt("cơ quan cấp trên"))?,
                })
            }

            fn procedure_from_row(r: &DbRow) -> Result<Procedure> {
                let body: &str = r.try_get("body")?;
                serde_json::from_str(body).map_err(corrupt("thủ tục"))
            }

            /// An account row (columns [`ACCOUNT_COLUMNS`]) with its roles.
            fn account_from_row(r: &DbRow, roles: Vec<RoleAssignment>) -> Result<Account> {
                Ok(Account {
                    id: r.try_get("id")?,
                    username: Username::parse(r.try_get::<&str, _>("username")?).map_err(corrupt("tên đăng nhập"))?,
                    full_name: Name::parse("họ tên", r.try_get::<&str, _>("full_name")?).map_err(corrupt("họ tên"))?,
                    kind: AccountKind::parse(r.try_get::<&str, _>("kind")?).map_err(corrupt("loại tài khoản"))?,
                    cccd: r.try_get::<Option<&str>, _>("cccd")?.map(Cccd::parse).transpose().map_err(corrupt("CCCD"))?,
                    email: r.try_get::<Option<&str>, _>("email")?.map(Email::parse).transpose().map_err(corrupt("email"))?,
                    phone: r.try_get::<Option<&str>, _>("phone")?.map(Phone::parse).transpose().map_err(corrupt("điện thoại"))?,
                    roles,
                    created_at: timestamp(r.try_get("created_at")?)?,
                    disabled: r.try_get("disabled")?,
                })
            }

            async fn roles_of<'e, E>(executor: E, account_id: i64) -> Result<Vec<RoleAssignment>>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let rows = sqlx::query("SELECT org_code, role FROM role_assignments WHERE account_id = $1 ORDER BY org_code, role")
                    .bind(account_id)
                    .fetch_all(executor)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(RoleAssignment {
                            org: OrgCode::parse(r.try_get::<&str, _>("org_code")?).map_err(corrupt("mã cơ quan"))?,
                            role: Role::parse(r.try_get::<&str, _>("role")?).map_err(corrupt("vai trò"))?,
                        })
                    })
                    .collect()
            }

            fn push_unit_filter(qb: &mut QueryBuilder<$db>, f: &UnitFilter) {
                qb.push(" WHERE 1 = 1");
                if let Some(p) = &f.parent {
                    qb.push(" AND parent_code = ").push_bind(p.as_str().to_owned());
                }
                if let Some(l) = f.level {
                    qb.push(" AND level = ").push_bind(i32::from(l));
                }
            }

            fn push_org_filter(qb: &mut QueryBuilder<$db>, f: &OrgFilter) {
                qb.push(" WHERE 1 = 1");
                if let Some(u) = &f.unit {
                    qb.push(" AND unit_code = ").push_bind(u.as_str().to_owned());
                }
                if let Some(k) = f.kind {
                    qb.push(" AND kind = ").push_bind(k.as_str());
                }
                if let Some(p) = &f.parent {
                    qb.push(" AND parent_code = ").push_bind(p.as_str().to_owned());
                }
            }

            fn push_procedure_filter(qb: &mut QueryBuilder<$db>, f: &ProcedureFilter) {
                qb.push(" WHERE 1 = 1");
                if let Some(o) = &f.org {
                    qb.push(" AND code IN (SELECT procedure_code FROM procedure_orgs WHERE org_code = ")
                        .push_bind(o.as_str().to_owned())
                        .push(")");
                }
                if let Some(u) = &f.unit {
                    qb.push(
                        " AND code IN (SELECT po.procedure_code FROM procedure_orgs po \
                         JOIN organisations o ON o.code = po.org_code WHERE o.unit_code = ",
                    )
                    .push_bind(u.as_str().to_owned())
                    .push(")");
                }
                if let Some(fc) = &f.field {
                    qb.push(" AND field_code = ").push_bind(fc.as_str().to_owned());
                }
                if let Some(o) = f.online {
                    qb.push(" AND online = ").push_bind(o.as_str());
                }
                if let Some(l) = f.level {
                    qb.push(" AND level = ").push_bind(l.as_str());
                }
                if let Some(text) = &f.text {
                    for word in motcua_domain::text::fold(text).split_whitespace().take(10) {
                        qb.push(" AND name_folded LIKE ").push_bind(like_contains(word)).push(" ESCAPE '\\'");
                    }
                }
            }

            fn event_from_row(r: &DbRow) -> Result<Event> {
                let small = |v: Option<i32>| v.map(u8::try_from).transpose().map_err(corrupt("trạng thái"));
                Ok(Event {
                    dossier_code: r.try_get("dossier_code")?,
                    seq: r.try_get("seq")?,
                    at_us: r.try_get("at_us")?,
                    actor_account: r.try_get("actor_account")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    from_status: small(r.try_get("from_status")?)?,
                    to_status: small(Some(r.try_get("to_status")?))?.unwrap_or_default(),
                    from_step: r.try_get("from_step")?,
                    to_step: r.try_get("to_step")?,
                    details: r.try_get("details")?,
                    state_hash: r.try_get("state_hash")?,
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                })
            }

            fn draft_from_row(r: &DbRow) -> Result<Draft> {
                Ok(Draft {
                    id: Some(r.try_get("id")?),
                    account_id: r.try_get("account_id")?,
                    procedure: ProcedureCode::parse(r.try_get::<&str, _>("procedure_code")?).map_err(corrupt("mã thủ tục"))?,
                    body: r.try_get("body")?,
                    updated_at: timestamp(r.try_get("updated_at")?)?,
                })
            }

            fn stored_from_row(r: &DbRow) -> Result<StoredDossier> {
                let body: String = r.try_get("body")?;
                Ok(StoredDossier {
                    dossier: serde_json::from_str(&body).map_err(corrupt("hồ sơ"))?,
                    body,
                    last_seq: r.try_get("last_event_seq")?,
                    last_hash: r.try_get("last_event_hash")?,
                })
            }

            async fn insert_event<'e, E>(executor: E, e: &Event) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                insert_event_notified(executor, e, false).await
            }

            async fn insert_event_notified<'e, E>(executor: E, e: &Event, notified: bool) -> Result<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO dossier_events ({EVENT_COLUMNS}, notified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                )))
                .bind(e.dossier_code.clone())
                .bind(e.seq)
                .bind(e.at_us)
                .bind(e.actor_account)
                .bind(e.actor.clone())
                .bind(e.action.clone())
                .bind(e.from_status.map(i32::from))
                .bind(i32::from(e.to_status))
                .bind(e.from_step.clone())
                .bind(e.to_step.clone())
                .bind(e.details.clone())
                .bind(e.state_hash.clone())
                .bind(e.prev_hash.clone())
                .bind(e.hash.clone())
                .bind(notified)
                .execute(executor)
                .await?;
                Ok(())
            }

            fn push_dossier_filter(qb: &mut QueryBuilder<$db>, f: &DossierFilter) {
                qb.push(" WHERE 1 = 1");
                if let Some(o) = f.owner {
                    qb.push(" AND owner_account = ").push_bind(o);
                }
                if let Some(pairs) = &f.waiting_at {
                    qb.push(" AND (1 = 0");
                    for (org, role) in pairs {
                        qb.push(" OR (waiting_org = ").push_bind(org.as_str().to_owned());
                        qb.push(" AND waiting_role = ").push_bind(role.as_str()).push(")");
                    }
                    qb.push(")");
                }
                if let Some(orgs) = &f.involving {
                    qb.push(" AND (1 = 0");
                    for org in orgs {
                        qb.push(" OR desk_org = ").push_bind(org.as_str().to_owned());
                        qb.push(" OR processing_org = ").push_bind(org.as_str().to_owned());
                    }
                    qb.push(")");
                }
                if let Some(st) = f.status {
                    qb.push(" AND status = ").push_bind(i32::from(st.code()));
                }
                if let Some(step) = &f.step {
                    qb.push(" AND step = ").push_bind(step.clone());
                }
                if let Some(t) = f.open_due_before {
                    qb.push(" AND finished_at IS NULL AND step IS NOT NULL AND due_at < ").push_bind(micros(t));
                }
                if let Some(p) = &f.procedure {
                    qb.push(" AND procedure_code = ").push_bind(p.as_str().to_owned());
                }
                if let Some(field) = &f.field {
                    qb.push(" AND procedure_code IN (SELECT code FROM procedures WHERE field_code = ")
                        .push_bind(field.as_str().to_owned())
                        .push(")");
                }
                if let Some(q) = &f.search {
                    // A code (or its end, as read off a paper), else the applicant's name, CCCD or
                    // phone; LIKE's own wildcards in the query are matched literally.
                    let folded = motcua_domain::text::fold(q.trim());
                    let pattern = format!("%{}%", folded.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                    qb.push(" AND (code = ").push_bind(q.trim().to_owned());
                    qb.push(" OR code LIKE ").push_bind(pattern.to_uppercase()).push(" ESCAPE '\\'");
                    qb.push(" OR search_text LIKE ").push_bind(pattern).push(" ESCAPE '\\')");
                }
            }

            /// Fills `search_text` for dossiers stored before it existed, a thousand at a time.
            pub(crate) async fn fill_search_text(pool: &sqlx::Pool<$db>) -> Result<()> {
                loop {
                    let rows = sqlx::query("SELECT code, body FROM dossiers WHERE search_text IS NULL LIMIT 1000")
                        .fetch_all(pool)
                        .await?;
                    if rows.is_empty() {
                        return Ok(());
                    }
                    let mut tx = pool.begin().await?;
                    for r in rows {
                        let code: String = r.try_get(0)?;
                        let body: String = r.try_get(1)?;
                        let d: Dossier = serde_json::from_str(&body).map_err(corrupt("hồ sơ"))?;
                        sqlx::query("UPDATE dossiers SET search_text = $1 WHERE code = $2")
                            .bind(search_text(&d))
                            .bind(code)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                }
            }

            async fn count(mut qb: QueryBuilder<$db>, pool: &sqlx::Pool<$db>) -> Result<i64> {
                Ok(qb.build().fetch_one(pool).await?.try_get::<i64, _>(0)?)
            }

            #[async_trait]
            impl Store for $store {
                fn backend(&self) -> Backend {
                    $backend
                }

                async fn ping(&self) -> Result<()> {
                    sqlx::query("SELECT 1").execute(&self.pool).await?;
                    Ok(())
                }

                async fn upsert_units(&self, units: &[AdminUnit]) -> Result<u64> {
                    let mut tx = self.pool.begin().await?;
                    for u in units {
                        sqlx::query(
                            "INSERT INTO units (code, name, name_folded, kind, parent_code, level) VALUES ($1, $2, $3, $4, $5, $6)
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_folded = excluded.name_folded,
                               kind = excluded.kind, parent_code = excluded.parent_code, level = excluded.level",
                        )
                        .bind(u.code.as_str().to_owned())
                        .bind(u.name.as_str().to_owned())
                        .bind(u.name.folded())
                        .bind(u.kind.as_str().to_owned())
                        .bind(u.parent.as_ref().map(|p| p.as_str().to_owned()))
                        .bind(i32::from(u.level))
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(units.len() as u64)
                }

                async fn unit(&self, code: &UnitCode) -> Result<Option<AdminUnit>> {
                    sqlx::query("SELECT code, name, kind, parent_code, level FROM units WHERE code = $1")
                        .bind(code.as_str().to_owned())
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| unit_from_row(&r))
                        .transpose()
                }

                async fn list_units(&self, filter: &UnitFilter, page: Page) -> Result<Paged<AdminUnit>> {
                    let mut qb = QueryBuilder::new("SELECT code, name, kind, parent_code, level FROM units");
                    push_unit_filter(&mut qb, filter);
                    qb.push(" ORDER BY level, code LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                    let rows = qb.build().fetch_all(&self.pool).await?;
                    let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM units");
                    push_unit_filter(&mut cq, filter);
                    Ok(Paged {
                        items: rows.iter().map(unit_from_row).collect::<Result<_>>()?,
                        total: count(cq, &self.pool).await?,
                    })
                }

                async fn unit_levels(&self) -> Result<HashMap<UnitCode, u8>> {
                    let rows = sqlx::query("SELECT code, level FROM units").fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            let code = UnitCode::parse(r.try_get::<&str, _>("code")?).map_err(corrupt("mã đơn vị"))?;
                            let level = u8::try_from(r.try_get::<i32, _>("level")?).map_err(corrupt("cấp đơn vị"))?;
                            Ok((code, level))
                        })
                        .collect()
                }

                async fn upsert_organisations(&self, orgs: &[Organisation]) -> Result<u64> {
                    let mut tx = self.pool.begin().await?;
                    for o in orgs {
                        sqlx::query(
                            "INSERT INTO organisations (code, name, kind, unit_code, parent_code) VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                               unit_code = excluded.unit_code, parent_code = excluded.parent_code",
                        )
                        .bind(o.code.as_str().to_owned())
                        .bind(o.name.as_str().to_owned())
                        .bind(o.kind.as_str())
                        .bind(o.unit.as_str().to_owned())
                        .bind(o.parent.as_ref().map(|p| p.as_str().to_owned()))
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(orgs.len() as u64)
                }

                async fn organisation(&self, code: &OrgCode) -> Result<Option<Organisation>> {
                    sqlx::query("SELECT code, name, kind, unit_code, parent_code FROM organisations WHERE code = $1")
                        .bind(code.as_str().to_owned())
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| org_from_row(&r))
                        .transpose()
                }

                async fn list_organisations(&self, filter: &OrgFilter, page: Page) -> Result<Paged<Organisation>> {
                    let mut qb = QueryBuilder::new("SELECT code, name, kind, unit_code, parent_code FROM organisations");
                    push_org_filter(&mut qb, filter);
                    qb.push(" ORDER BY code LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                    let rows = qb.build().fetch_all(&self.pool).await?;
                    let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM organisations");
                    push_org_filter(&mut cq, filter);
                    Ok(Paged {
                        items: rows.iter().map(org_from_row).collect::<Result<_>>()?,
                        total: count(cq, &self.pool).await?,
                    })
                }

                async fn existing_organisations(&self, codes: &[OrgCode]) -> Result<HashSet<OrgCode>> {
                    let mut found = HashSet::new();
                    for chunk in codes.chunks(500) {
                        let mut qb = QueryBuilder::<$db>::new("SELECT code FROM organisations WHERE code IN (");
                        let mut sep = qb.separated(", ");
                        for c in chunk {
                            sep.push_bind(c.as_str().to_owned());
                        }
                        qb.push(")");
                        for r in qb.build().fetch_all(&self.pool).await? {
                            found.insert(OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?);
                        }
                    }
                    Ok(found)
                }

                async fn upsert_procedures(&self, procedures: &[Procedure]) -> Result<u64> {
                    let now = micros(Timestamp::now());
                    let mut tx = self.pool.begin().await?;
                    for p in procedures {
                        let body = serde_json::to_string(p).map_err(corrupt("thủ tục"))?;
                        let (tl_kind, tl_value) = p.time_limit.parts();
                        sqlx::query(
                            "INSERT INTO procedures (code, name, name_folded, field_code, level, online, time_limit_kind,
                               time_limit_value, total_fee, body, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_folded = excluded.name_folded,
                               field_code = excluded.field_code, level = excluded.level, online = excluded.online,
                               time_limit_kind = excluded.time_limit_kind, time_limit_value = excluded.time_limit_value,
                               total_fee = excluded.total_fee, body = excluded.body, updated_at = excluded.updated_at",
                        )
                        .bind(p.code.as_str().to_owned())
                        .bind(p.name.as_str().to_owned())
                        .bind(p.name.folded())
                        .bind(p.field.code.as_str().to_owned())
                        .bind(p.level.as_str())
                        .bind(p.online.as_str())
                        .bind(tl_kind)
                        .bind(tl_value)
                        .bind(p.total_fee().amount())
                        .bind(body)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query("DELETE FROM procedure_orgs WHERE procedure_code = $1")
                            .bind(p.code.as_str().to_owned())
                            .execute(&mut *tx)
                            .await?;
                        for o in &p.organisations {
                            sqlx::query("INSERT INTO procedure_orgs (procedure_code, org_code) VALUES ($1, $2)")
                                .bind(p.code.as_str().to_owned())
                                .bind(o.as_str().to_owned())
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                        .bind(crate::CATALOG_VERSION_KEY)
                        .bind(Timestamp::now().as_nanosecond().to_string())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(procedures.len() as u64)
                }

                async fn procedure(&self, code: &ProcedureCode) -> Result<Option<Procedure>> {
                    sqlx::query("SELECT body FROM procedures WHERE code = $1")
                        .bind(code.as_str().to_owned())
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| procedure_from_row(&r))
                        .transpose()
                }

                async fn list_procedures(&self, filter: &ProcedureFilter, page: Page) -> Result<Paged<Procedure>> {
                    let mut qb = QueryBuilder::new("SELECT body FROM procedures");
                    push_procedure_filter(&mut qb, filter);
                    qb.push(" ORDER BY code LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                    let rows = qb.build().fetch_all(&self.pool).await?;
                    let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM procedures");
                    push_procedure_filter(&mut cq, filter);
                    Ok(Paged {
                        items: rows.iter().map(procedure_from_row).collect::<Result<_>>()?,
                        total: count(cq, &self.pool).await?,
                    })
                }

                async fn create_account(&self, a: &NewAccount) -> Result<Account> {
                    let a = a.clone().check().map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let mut tx = self.pool.begin().await?;
                    let id: i64 = sqlx::query(
                        "INSERT INTO accounts (username, full_name, kind, cccd, email, phone, password_hash, created_at, disabled)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE) RETURNING id",
                    )
                    .bind(a.username.as_str().to_owned())
                    .bind(a.full_name.as_str().to_owned())
                    .bind(a.kind.as_str())
                    .bind(a.cccd.as_ref().map(|c| c.as_str().to_owned()))
                    .bind(a.email.as_ref().map(|e| e.as_str().to_owned()))
                    .bind(a.phone.as_ref().map(|p| p.as_str().to_owned()))
                    .bind(a.password_hash.clone())
                    .bind(micros(Timestamp::now()))
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                    for r in &a.roles {
                        sqlx::query("INSERT INTO role_assignments (account_id, org_code, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                            .bind(id)
                            .bind(r.org.as_str().to_owned())
                            .bind(r.role.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                    let row = sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1")))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let roles = roles_of(&mut *tx, id).await?;
                    let account = account_from_row(&row, roles)?;
                    tx.commit().await?;
                    Ok(account)
                }

                async fn create_accounts(&self, list: &[NewAccount]) -> Result<u64> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let now = micros(Timestamp::now());
                    let mut made = 0;
                    for a in list {
                        let a = a.clone().check().map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        let id: Option<i64> = sqlx::query(
                            "INSERT INTO accounts (username, full_name, kind, cccd, email, phone, password_hash, created_at, disabled)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE) ON CONFLICT (username) DO NOTHING RETURNING id",
                        )
                        .bind(a.username.as_str().to_owned())
                        .bind(a.full_name.as_str().to_owned())
                        .bind(a.kind.as_str())
                        .bind(a.cccd.as_ref().map(|c| c.as_str().to_owned()))
                        .bind(a.email.as_ref().map(|e| e.as_str().to_owned()))
                        .bind(a.phone.as_ref().map(|p| p.as_str().to_owned()))
                        .bind(a.password_hash.clone())
                        .bind(now)
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|r| r.try_get(0))
                        .transpose()?;
                        let Some(id) = id else { continue };
                        for r in &a.roles {
                            sqlx::query("INSERT INTO role_assignments (account_id, org_code, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                                .bind(id)
                                .bind(r.org.as_str().to_owned())
                                .bind(r.role.as_str())
                                .execute(&mut *tx)
                                .await?;
                        }
                        made += 1;
                    }
                    tx.commit().await?;
                    Ok(made)
                }

                async fn account(&self, id: i64) -> Result<Option<Account>> {
                    let Some(row) = sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1")))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?
                    else {
                        return Ok(None);
                    };
                    let roles = roles_of(&self.pool, id).await?;
                    account_from_row(&row, roles).map(Some)
                }

                async fn account_credentials(&self, username: &Username) -> Result<Option<(Account, String)>> {
                    let Some(row) = sqlx::query(AssertSqlSafe(format!(
                        "SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM accounts a WHERE a.username = $1"
                    )))
                    .bind(username.as_str().to_owned())
                    .fetch_optional(&self.pool)
                    .await?
                    else {
                        return Ok(None);
                    };
                    let id: i64 = row.try_get("id")?;
                    let roles = roles_of(&self.pool, id).await?;
                    let hash: String = row.try_get("password_hash")?;
                    Ok(Some((account_from_row(&row, roles)?, hash)))
                }

                async fn set_password(&self, account_id: i64, password_hash: &str, keep_session: Option<&str>) -> Result<bool> {
                    let mut tx = self.pool.begin().await?;
                    let n = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                        .bind(password_hash.to_owned())
                        .bind(account_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
                        .bind(account_id)
                        .bind(keep_session.unwrap_or("").to_owned())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(n == 1)
                }

                async fn set_account_disabled(&self, username: &Username, disabled: bool) -> Result<bool> {
                    let mut tx = self.pool.begin().await?;
                    let id: Option<i64> = sqlx::query("UPDATE accounts SET disabled = $1 WHERE username = $2 RETURNING id")
                        .bind(disabled)
                        .bind(username.as_str().to_owned())
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|r| r.try_get(0))
                        .transpose()?;
                    if let (Some(id), true) = (id, disabled) {
                        sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(id.is_some())
                }

                async fn list_staff(&self, org: &OrgCode) -> Result<Vec<Account>> {
                    let rows = sqlx::query(AssertSqlSafe(format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.kind = 'staff' AND a.id IN
                           (SELECT account_id FROM role_assignments WHERE org_code = $1) ORDER BY a.username"
                    )))
                    .bind(org.as_str().to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                    let mut out = Vec::with_capacity(rows.len());
                    for row in &rows {
                        let roles = roles_of(&self.pool, row.try_get("id")?).await?;
                        out.push(account_from_row(row, roles)?);
                    }
                    Ok(out)
                }

                async fn create_session(&self, token_hash: &str, account_id: i64, expires_at: Timestamp) -> Result<()> {
                    sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                        .bind(token_hash.to_owned())
                        .bind(account_id)
                        .bind(micros(Timestamp::now()))
                        .bind(micros(expires_at))
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn session_account(&self, token_hash: &str, now: Timestamp) -> Result<Option<Account>> {
                    let Some(row) = sqlx::query(AssertSqlSafe(format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id
                         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled = FALSE"
                    )))
                    .bind(token_hash.to_owned())
                    .bind(micros(now))
                    .fetch_optional(&self.pool)
                    .await?
                    else {
                        return Ok(None);
                    };
                    let roles = roles_of(&self.pool, row.try_get("id")?).await?;
                    account_from_row(&row, roles).map(Some)
                }

                async fn delete_session(&self, token_hash: &str) -> Result<bool> {
                    let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(token_hash.to_owned())
                        .execute(&self.pool)
                        .await?;
                    Ok(r.rows_affected() > 0)
                }

                async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
                    let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(micros(now)).execute(&self.pool).await?;
                    Ok(r.rows_affected())
                }

                async fn calendar_adjustments(&self) -> Result<Vec<Adjustment>> {
                    let rows = sqlx::query("SELECT day, kind, name FROM calendar_adjustments ORDER BY day").fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            let kind = match r.try_get::<&str, _>("kind")? {
                                "off" => AdjustmentKind::Off,
                                "work" => AdjustmentKind::Work,
                                other => return Err(StoreError::Corrupt(format!("loại điều chỉnh lịch: {other}"))),
                            };
                            Ok(Adjustment {
                                date: r.try_get::<&str, _>("day")?.parse().map_err(corrupt("ngày điều chỉnh"))?,
                                kind,
                                name: r.try_get("name")?,
                            })
                        })
                        .collect()
                }

                async fn upsert_calendar_adjustments(&self, adjustments: &[Adjustment]) -> Result<u64> {
                    let mut tx = self.pool.begin().await?;
                    for a in adjustments {
                        let kind = match a.kind {
                            AdjustmentKind::Off => "off",
                            AdjustmentKind::Work => "work",
                        };
                        sqlx::query(
                            "INSERT INTO calendar_adjustments (day, kind, name) VALUES ($1, $2, $3)
                             ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
                        )
                        .bind(a.date.to_string())
                        .bind(kind)
                        .bind(a.name.clone())
                        .execute(&mut *tx)
                        .await?;
                    }
                    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                        .bind(crate::CALENDAR_VERSION_KEY)
                        .bind(Timestamp::now().as_nanosecond().to_string())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(adjustments.len() as u64)
                }

                async fn upsert_workflows(&self, workflows: &[Workflow]) -> Result<u64> {
                    let mut tx = self.pool.begin().await?;
                    for w in workflows {
                        sqlx::query("INSERT INTO workflows (code, body) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET body = excluded.body")
                            .bind(w.code.clone())
                            .bind(serde_json::to_string(w).map_err(corrupt("quy trình"))?)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(workflows.len() as u64)
                }

                async fn workflows(&self) -> Result<Vec<Workflow>> {
                    let rows = sqlx::query("SELECT body FROM workflows ORDER BY code").fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| serde_json::from_str(r.try_get::<&str, _>(0)?).map_err(corrupt("quy trình")))
                        .collect()
                }

                async fn create_dossier(
                    &self,
                    unit: &OrgCode,
                    day: jiff::civil::Date,
                    key: Option<&IdempotencyKey>,
                    attachments: &[Attachment],
                    build: BuildDossier<'_>,
                ) -> Result<CreateOutcome> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    if let Some(k) = key {
                        let found = sqlx::query("SELECT dossier_code, request_hash FROM idempotency_keys WHERE account_id = $1 AND key = $2")
                            .bind(k.account_id)
                            .bind(k.key.clone())
                            .fetch_optional(&mut *tx)
                            .await?;
                        if let Some(r) = found {
                            let code = DossierCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã hồ sơ"))?;
                            let request_hash = r.try_get(1)?;
                            tx.rollback().await?;
                            return Ok(CreateOutcome::Existing { code, request_hash });
                        }
                    }
                    let seq: i64 = sqlx::query(
                        "INSERT INTO dossier_sequences (org_code, day, last_value) VALUES ($1, $2, 1)
                         ON CONFLICT (org_code, day) DO UPDATE SET last_value = dossier_sequences.last_value + 1
                         RETURNING last_value",
                    )
                    .bind(unit.as_str().to_owned())
                    .bind(day.to_string())
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                    let seq = u32::try_from(seq).map_err(corrupt("số thứ tự hồ sơ"))?;
                    let code = DossierCode::new(unit, day, seq).map_err(corrupt("mã hồ sơ"))?;
                    let (dossier, placement, draft) = build(code.clone()).map_err(StoreError::Corrupt)?;
                    let body = dossier_body(&dossier)?;
                    let event = draft.into_event(code.as_str(), 1, &body, motcua_domain::audit::GENESIS);
                    sqlx::query(
                        "INSERT INTO dossiers (code, procedure_code, desk_org, processing_org, owner_account, status, step,
                           waiting_org, waiting_role, submitted_at, due_at, finished_at, body, last_event_seq, last_event_hash, channel, search_text)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15, $16)",
                    )
                    .bind(code.as_str().to_owned())
                    .bind(dossier.procedure.as_str().to_owned())
                    .bind(dossier.desk_org.as_str().to_owned())
                    .bind(dossier.processing_org.as_str().to_owned())
                    .bind(dossier.owner_account)
                    .bind(i32::from(dossier.status.code()))
                    .bind(dossier.step.clone())
                    .bind(placement.as_ref().map(|p| p.0.as_str().to_owned()))
                    .bind(placement.as_ref().map(|p| p.1.as_str()))
                    .bind(micros(dossier.submitted_at))
                    .bind(dossier.due_at.map(micros))
                    .bind(dossier.finished_at.map(micros))
                    .bind(body.clone())
                    .bind(event.hash.clone())
                    .bind(dossier.channel.as_str())
                    .bind(search_text(&dossier))
                    .execute(&mut *tx)
                    .await?;
                    insert_event(&mut *tx, &event).await?;
                    apply_stat_delta(&mut tx, &crate::sql_stats::dossier_delta(None, Some(&dossier))).await?;
                    for a in attachments {
                        sqlx::query(
                            "INSERT INTO attachments (dossier_code, idx, component, filename, content_type, size, sha256, kind, event_seq)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
                        )
                        .bind(code.as_str().to_owned())
                        .bind(a.index)
                        .bind(a.component)
                        .bind(a.filename.clone())
                        .bind(a.content_type.clone())
                        .bind(a.size)
                        .bind(a.sha256.clone())
                        .bind(a.kind.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                    if let Some(k) = key {
                        sqlx::query("INSERT INTO idempotency_keys (account_id, key, request_hash, dossier_code, created_at) VALUES ($1, $2, $3, $4, $5)")
                            .bind(k.account_id)
                            .bind(k.key.clone())
                            .bind(k.request_hash.clone())
                            .bind(code.as_str().to_owned())
                            .bind(micros(Timestamp::now()))
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    let last_hash = event.hash.clone();
                    Ok(CreateOutcome::Created(Box::new((StoredDossier { dossier, body, last_seq: 1, last_hash }, event))))
                }

                async fn attachments(&self, code: &DossierCode) -> Result<Vec<Attachment>> {
                    let rows = sqlx::query(
                        "SELECT idx, component, filename, content_type, size, sha256, kind FROM attachments WHERE dossier_code = $1 ORDER BY idx",
                    )
                    .bind(code.as_str().to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(Attachment {
                                index: r.try_get("idx")?,
                                component: r.try_get("component")?,
                                filename: r.try_get("filename")?,
                                content_type: r.try_get("content_type")?,
                                size: r.try_get("size")?,
                                sha256: r.try_get("sha256")?,
                                kind: AttachmentKind::parse(r.try_get::<&str, _>("kind")?)
                                    .ok_or_else(|| StoreError::Corrupt("loại tệp đính kèm".into()))?,
                            })
                        })
                        .collect()
                }

                async fn dossier(&self, code: &DossierCode) -> Result<Option<StoredDossier>> {
                    sqlx::query("SELECT body, last_event_seq, last_event_hash FROM dossiers WHERE code = $1")
                        .bind(code.as_str().to_owned())
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| stored_from_row(&r))
                        .transpose()
                }

                async fn record_action(
                    &self,
                    code: &DossierCode,
                    expected_seq: i64,
                    dossier: &Dossier,
                    placement: Placement,
                    draft: EventDraft,
                    attachments: &[Attachment],
                ) -> Result<(StoredDossier, Event)> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let Some(head) = sqlx::query("SELECT last_event_seq, last_event_hash, body FROM dossiers WHERE code = $1")
                        .bind(code.as_str().to_owned())
                        .fetch_optional(&mut *tx)
                        .await?
                    else {
                        return Err(StoreError::MissingReference(code.to_string()));
                    };
                    let (seq, prev): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
                    if seq != expected_seq {
                        return Err(StoreError::Conflict(format!("hồ sơ {code} đã thay đổi")));
                    }
                    let old: Dossier = serde_json::from_str(head.try_get::<&str, _>(2)?).map_err(corrupt("hồ sơ"))?;
                    let body = dossier_body(dossier)?;
                    let event = draft.into_event(code.as_str(), seq + 1, &body, &prev);
                    let updated = sqlx::query(
                        "UPDATE dossiers SET processing_org = $1, status = $2, step = $3, waiting_org = $4, waiting_role = $5,
                           due_at = $6, finished_at = $7, body = $8, last_event_seq = $9, last_event_hash = $10
                         WHERE code = $11 AND last_event_seq = $12",
                    )
                    .bind(dossier.processing_org.as_str().to_owned())
                    .bind(i32::from(dossier.status.code()))
                    .bind(dossier.step.clone())
                    .bind(placement.as_ref().map(|p| p.0.as_str().to_owned()))
                    .bind(placement.as_ref().map(|p| p.1.as_str()))
                    .bind(dossier.due_at.map(micros))
                    .bind(dossier.finished_at.map(micros))
                    .bind(body.clone())
                    .bind(seq + 1)
                    .bind(event.hash.clone())
                    .bind(code.as_str().to_owned())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                    if updated.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!("hồ sơ {code} đã thay đổi")));
                    }
                    insert_event(&mut *tx, &event).await?;
                    apply_stat_delta(&mut tx, &crate::sql_stats::dossier_delta(Some(&old), Some(dossier))).await?;
                    if !attachments.is_empty() {
                        // Numbered after the files already there; the seq check above keeps
                        // actions on one dossier in order, so no one else numbers meanwhile.
                        let last: i64 =
                            sqlx::query("SELECT CAST(COALESCE(MAX(idx), 0) AS BIGINT) FROM attachments WHERE dossier_code = $1")
                                .bind(code.as_str().to_owned())
                                .fetch_one(&mut *tx)
                                .await?
                                .try_get(0)?;
                        for (i, a) in attachments.iter().enumerate() {
                            sqlx::query(
                                "INSERT INTO attachments (dossier_code, idx, component, filename, content_type, size, sha256, kind, event_seq)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                            )
                            .bind(code.as_str().to_owned())
                            .bind(i32::try_from(last).map_err(corrupt("số thứ tự tệp"))? + i as i32 + 1)
                            .bind(a.component)
                            .bind(a.filename.clone())
                            .bind(a.content_type.clone())
                            .bind(a.size)
                            .bind(a.sha256.clone())
                            .bind(a.kind.as_str())
                            .bind(seq + 1)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    tx.commit().await?;
                    let stored = StoredDossier { dossier: dossier.clone(), body, last_seq: seq + 1, last_hash: event.hash.clone() };
                    Ok((stored, event))
                }

                async fn events(&self, code: &DossierCode) -> Result<Vec<Event>> {
                    let rows = sqlx::query(AssertSqlSafe(format!(
                        "SELECT {EVENT_COLUMNS} FROM dossier_events WHERE dossier_code = $1 ORDER BY seq"
                    )))
                    .bind(code.as_str().to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(event_from_row).collect()
                }

                async fn submitted_since(&self, owner: i64, since: Timestamp) -> Result<(i64, i64)> {
                    let row = sqlx::query(
                        "SELECT (SELECT COUNT(*) FROM dossiers WHERE owner_account = $1 AND submitted_at >= $2),
                                (SELECT CAST(COALESCE(SUM(a.size), 0) AS BIGINT) FROM attachments a
                                   JOIN dossiers d ON d.code = a.dossier_code
                                  WHERE d.owner_account = $1 AND d.submitted_at >= $2)",
                    )
                    .bind(owner)
                    .bind(micros(since))
                    .fetch_one(&self.pool)
                    .await?;
                    Ok((row.try_get(0)?, row.try_get(1)?))
                }

                async fn list_dossiers(&self, filter: &DossierFilter, page: Page) -> Result<Paged<Dossier>> {
                    let mut qb = QueryBuilder::new("SELECT body, last_event_seq, last_event_hash FROM dossiers");
                    push_dossier_filter(&mut qb, filter);
                    qb.push(" ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, submitted_at DESC, code LIMIT ")
                        .push_bind(page.limit)
                        .push(" OFFSET ")
                        .push_bind(page.offset);
                    let rows = qb.build().fetch_all(&self.pool).await?;
                    let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM dossiers");
                    push_dossier_filter(&mut cq, filter);
                    Ok(Paged {
                        items: rows.iter().map(|r| stored_from_row(r).map(|s| s.dossier)).collect::<Result<_>>()?,
                        total: count(cq, &self.pool).await?,
                    })
                }

                async fn audit_batch(&self, after: Option<&str>, limit: i64) -> Result<Vec<AuditRecord>> {
                    let rows = sqlx::query(
                        "SELECT code, procedure_code, desk_org, processing_org, owner_account, status, step, waiting_org,
                           waiting_role, submitted_at, due_at, finished_at, body, last_event_seq, last_event_hash
                         FROM dossiers WHERE code > $1 ORDER BY code LIMIT $2",
                    )
                    .bind(after.unwrap_or("").to_owned())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let code: String = r.try_get("code")?;
                        let events = sqlx::query(AssertSqlSafe(format!(
                            "SELECT {EVENT_COLUMNS} FROM dossier_events WHERE dossier_code = $1 ORDER BY seq"
                        )))
                        .bind(code.clone())
                        .fetch_all(&self.pool)
                        .await?
                        .iter()
                        .map(event_from_row)
                        .collect::<Result<Vec<_>>>()?;
                        out.push(AuditRecord {
                            body: r.try_get("body")?,
                            columns: AuditColumns {
                                procedure_code: r.try_get("procedure_code")?,
                                desk_org: r.try_get("desk_org")?,
                                processing_org: r.try_get("processing_org")?,
                                owner_account: r.try_get("owner_account")?,
                                status: r.try_get("status")?,
                                step: r.try_get("step")?,
                                waiting_org: r.try_get("waiting_org")?,
                                waiting_role: r.try_get("waiting_role")?,
                                submitted_at: r.try_get("submitted_at")?,
                                due_at: r.try_get("due_at")?,
                                finished_at: r.try_get("finished_at")?,
                            },
                            last_seq: r.try_get("last_event_seq")?,
                            last_hash: r.try_get("last_event_hash")?,
                            events,
                            code,
                        });
                    }
                    Ok(out)
                }

                async fn dossier_sequences(&self) -> Result<Vec<(String, String, i64)>> {
                    let rows = sqlx::query("SELECT org_code, day, last_value FROM dossier_sequences ORDER BY org_code, day")
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
                }

                async fn staff_counts(&self) -> Result<HashMap<OrgCode, i64>> {
                    let rows = sqlx::query("SELECT org_code, COUNT(DISTINCT account_id) FROM role_assignments GROUP BY org_code")
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            let org = OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?;
                            Ok((org, r.try_get::<i64, _>(1)?))
                        })
                        .collect()
                }

                async fn rate(&self, rating: &Rating) -> Result<bool> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let done = sqlx::query(
                        "INSERT INTO ratings (dossier_code, account_id, stars, comment, created_at) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (dossier_code) DO NOTHING",
                    )
                    .bind(rating.dossier.as_str().to_owned())
                    .bind(rating.account_id)
                    .bind(i32::from(rating.stars.get()))
                    .bind(rating.comment.clone())
                    .bind(micros(rating.at))
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() != 1 {
                        // Explicitly: a dropped transaction is only rolled back when its
                        // connection is next used, holding its locks until then.
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    let body: String = sqlx::query("SELECT body FROM dossiers WHERE code = $1")
                        .bind(rating.dossier.as_str().to_owned())
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get(0)?;
                    let d: Dossier = serde_json::from_str(&body).map_err(corrupt("hồ sơ"))?;
                    let (key, day, counts) = motcua_domain::stats::rating_contribution(&d, rating.stars.get());
                    let delta = motcua_domain::stats::Delta { cells: vec![(key, day, counts)], open: vec![] };
                    apply_stat_delta(&mut tx, &delta).await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn import_dossiers(&self, batch: &[crate::ImportedDossier]) -> Result<()> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let mut snap = crate::stats::StatSnapshot::default();
                    let mut sequences: HashMap<(String, String), i64> = HashMap::new();
                    for item in batch {
                        let d = &item.dossier;
                        let last = item.events.last().ok_or_else(|| StoreError::Corrupt("hồ sơ không có sự kiện".into()))?;
                        sqlx::query(
                            "INSERT INTO dossiers (code, procedure_code, desk_org, processing_org, owner_account, status, step,
                               waiting_org, waiting_role, submitted_at, due_at, finished_at, body, last_event_seq, last_event_hash, channel, search_text)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                        )
                        .bind(d.code.as_str().to_owned())
                        .bind(d.procedure.as_str().to_owned())
                        .bind(d.desk_org.as_str().to_owned())
                        .bind(d.processing_org.as_str().to_owned())
                        .bind(d.owner_account)
                        .bind(i32::from(d.status.code()))
                        .bind(d.step.clone())
                        .bind(item.placement.as_ref().map(|p| p.0.as_str().to_owned()))
                        .bind(item.placement.as_ref().map(|p| p.1.as_str()))
                        .bind(micros(d.submitted_at))
                        .bind(d.due_at.map(micros))
                        .bind(d.finished_at.map(micros))
                        .bind(item.body.clone())
                        .bind(last.seq)
                        .bind(last.hash.clone())
                        .bind(d.channel.as_str())
                        .bind(search_text(d))
                        .execute(&mut *tx)
                        .await?;
                        for e in &item.events {
                            insert_event_notified(&mut *tx, e, true).await?;
                        }
                        let c = motcua_domain::stats::contribution(d);
                        for (day, counts) in &c.days {
                            snap.add(&c.key, *day, counts);
                        }
                        if let Some(due) = c.open_due {
                            snap.add_open(&c.key, due, 1);
                        }
                        if let Some(r) = &item.rating {
                            sqlx::query("INSERT INTO ratings (dossier_code, account_id, stars, comment, created_at) VALUES ($1, $2, $3, $4, $5)")
                                .bind(r.dossier.as_str().to_owned())
                                .bind(r.account_id)
                                .bind(i32::from(r.stars.get()))
                                .bind(r.comment.clone())
                                .bind(micros(r.at))
                                .execute(&mut *tx)
                                .await?;
                            let (key, day, counts) = motcua_domain::stats::rating_contribution(d, r.stars.get());
                            snap.add(&key, day, &counts);
                        }
                        let day = d.code.date().ok_or_else(|| StoreError::Corrupt(format!("mã hồ sơ {}", d.code)))?;
                        let e = sequences.entry((d.code.unit().to_owned(), day.to_string())).or_default();
                        *e = (*e).max(i64::from(d.code.sequence()));
                    }
                    for ((unit, day), last) in sequences {
                        sqlx::query(
                            "INSERT INTO dossier_sequences (org_code, day, last_value) VALUES ($1, $2, $3)
                             ON CONFLICT (org_code, day) DO UPDATE SET last_value = CASE
                               WHEN excluded.last_value > dossier_sequences.last_value THEN excluded.last_value
                               ELSE dossier_sequences.last_value END",
                        )
                        .bind(unit)
                        .bind(day)
                        .bind(last)
                        .execute(&mut *tx)
                        .await?;
                    }
                    write_stat_snapshot(&mut tx, &snap).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn rating(&self, code: &DossierCode) -> Result<Option<Rating>> {
                    let Some(r) = sqlx::query("SELECT account_id, stars, comment, created_at FROM ratings WHERE dossier_code = $1")
                        .bind(code.as_str().to_owned())
                        .fetch_optional(&self.pool)
                        .await?
                    else {
                        return Ok(None);
                    };
                    Ok(Some(Rating {
                        dossier: code.clone(),
                        account_id: r.try_get(0)?,
                        stars: motcua_domain::rating::Stars::new(i64::from(r.try_get::<i32, _>(1)?)).map_err(corrupt("đánh giá"))?,
                        comment: r.try_get(2)?,
                        at: timestamp(r.try_get(3)?)?,
                    }))
                }

                async fn save_draft(&self, d: &Draft) -> Result<i64> {
                    match d.id {
                        None => Ok(sqlx::query(
                            "INSERT INTO drafts (account_id, procedure_code, body, updated_at) VALUES ($1, $2, $3, $4) RETURNING id",
                        )
                        .bind(d.account_id)
                        .bind(d.procedure.as_str().to_owned())
                        .bind(d.body.clone())
                        .bind(micros(d.updated_at))
                        .fetch_one(&self.pool)
                        .await?
                        .try_get(0)?),
                        Some(id) => {
                            let done = sqlx::query(
                                "UPDATE drafts SET body = $1, updated_at = $2 WHERE id = $3 AND account_id = $4 AND procedure_code = $5",
                            )
                            .bind(d.body.clone())
                            .bind(micros(d.updated_at))
                            .bind(id)
                            .bind(d.account_id)
                            .bind(d.procedure.as_str().to_owned())
                            .execute(&self.pool)
                            .await?;
                            if done.rows_affected() == 1 { Ok(id) } else { Err(StoreError::MissingReference(format!("bản nháp {id}"))) }
                        }
                    }
                }

                async fn draft(&self, id: i64, account_id: i64) -> Result<Option<Draft>> {
                    sqlx::query("SELECT id, account_id, procedure_code, body, updated_at FROM drafts WHERE id = $1 AND account_id = $2")
                        .bind(id)
                        .bind(account_id)
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| draft_from_row(&r))
                        .transpose()
                }

                async fn drafts(&self, account_id: i64) -> Result<Vec<Draft>> {
                    sqlx::query(
                        "SELECT id, account_id, procedure_code, body, updated_at FROM drafts WHERE account_id = $1 ORDER BY updated_at DESC, id DESC",
                    )
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(draft_from_row)
                    .collect()
                }

                async fn delete_draft(&self, id: i64, account_id: i64) -> Result<bool> {
                    let done = sqlx::query("DELETE FROM drafts WHERE id = $1 AND account_id = $2")
                        .bind(id)
                        .bind(account_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_roles(&self, username: &Username, roles: &[motcua_domain::RoleAssignment]) -> Result<bool> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let Some(id) = sqlx::query("SELECT id FROM accounts WHERE username = $1 AND kind = 'staff'")
                        .bind(username.as_str().to_owned())
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|r| r.try_get::<i64, _>(0))
                        .transpose()?
                    else {
                        // Explicitly: a dropped transaction is only rolled back when its
                        // connection is next used, holding its locks until then.
                        tx.rollback().await?;
                        return Ok(false);
                    };
                    sqlx::query("DELETE FROM role_assignments WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
                    for r in roles {
                        sqlx::query("INSERT INTO role_assignments (account_id, org_code, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                            .bind(id)
                            .bind(r.org.as_str().to_owned())
                            .bind(r.role.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn meta(&self, key: &str) -> Result<Option<String>> {
                    Ok(sqlx::query("SELECT value FROM meta WHERE key = $1")
                        .bind(key.to_owned())
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| r.try_get::<String, _>(0))
                        .transpose()?)
                }

                async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
                    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                        .bind(key.to_owned())
                        .bind(value.to_owned())
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }
            }
        }
    };
}

// SQLite: take the write lock at BEGIN, so concurrent writers queue (busy timeout) instead of
// failing when a read turns into a write.
store_impl!(sqlite_impl, SqliteStore, sqlx::Sqlite, Backend::Sqlite, "BEGIN IMMEDIATE");
store_impl!(postgres_impl, PostgresStore, sqlx::Postgres, Backend::Postgres, "BEGIN");
