//! What the dossier queries share, for both engines: reading events, drafts and stored
//! dossiers from rows, writing an event or a rating (generic over the engine; the `where`
//! clauses: see `sql_catalog.rs`).

use motcua_domain::attachment::Attachment;
use motcua_domain::audit::Event;
use motcua_domain::workflow::Dossier;
use motcua_domain::{DossierCode, ProcedureCode};
use sqlx::{QueryBuilder, Row};

use crate::sql_shared::*;
use crate::{Draft, Rating, Result, StoredDossier};

impl<DB: Engine> SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row> + sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r, 'q> &'r str: sqlx::Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    String: Column<DB>,
    bool: Column<DB>,
    i32: Column<DB>,
    i64: Column<DB>,
    f64: Column<DB>,
    Vec<u8>: Column<DB>,
    Option<String>: Column<DB>,
    Option<i64>: Column<DB>,
    Option<f64>: Column<DB>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, DB>,
    Option<i32>: Column<DB>,
{
    pub(crate) fn event_from_row(r: &DB::Row) -> Result<Event> {
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

    pub(crate) fn draft_from_row(r: &DB::Row) -> Result<Draft> {
        Ok(Draft {
            id: Some(r.try_get("id")?),
            account_id: r.try_get("account_id")?,
            procedure: ProcedureCode::parse(r.try_get::<&str, _>("procedure_code")?).map_err(corrupt("mã thủ tục"))?,
            body: r.try_get("body")?,
            updated_at: timestamp(r.try_get("updated_at")?)?,
        })
    }

    pub(crate) fn stored_from_row(r: &DB::Row) -> Result<StoredDossier> {
        let body: String = r.try_get("body")?;
        Ok(StoredDossier {
            dossier: serde_json::from_str(&body).map_err(corrupt("hồ sơ"))?,
            body,
            last_seq: r.try_get("last_event_seq")?,
            last_hash: r.try_get("last_event_hash")?,
        })
    }

    /// `INSERT INTO attachments …` of files recorded by event `event_seq`: numbered from
    /// `after + 1` when `after` is given (an action's new files, after those already there),
    /// else by their own index (a submission's).
    pub(crate) fn push_attachments(
        qb: &mut QueryBuilder<DB>,
        code: &DossierCode,
        files: &[Attachment],
        after: Option<i32>,
        event_seq: i64,
    ) {
        qb.push("INSERT INTO attachments (dossier_code, idx, component, filename, content_type, size, sha256, kind, event_seq) ");
        qb.push_values(files.iter().enumerate(), |mut b, (i, a)| {
            let idx = after.map_or(a.index, |n| n + i as i32 + 1);
            b.push_bind(code.as_str().to_owned())
                .push_bind(idx)
                .push_bind(a.component)
                .push_bind(a.filename.clone())
                .push_bind(a.content_type.clone())
                .push_bind(a.size)
                .push_bind(a.sha256.clone())
                .push_bind(a.kind.as_str().to_owned())
                .push_bind(event_seq);
        });
    }

    /// `INSERT INTO dossier_events …` of one event, with its values bound.
    pub(crate) fn push_event(qb: &mut QueryBuilder<DB>, e: &Event, notified: bool) {
        Self::push_events(qb, std::iter::once(e), notified);
    }

    /// `INSERT INTO dossier_events …` of these events, in one statement.
    pub(crate) fn push_events<'a>(qb: &mut QueryBuilder<DB>, events: impl Iterator<Item = &'a Event>, notified: bool) {
        qb.push(format!("INSERT INTO dossier_events ({EVENT_COLUMNS}, notified) "));
        qb.push_values(events, |mut b, e| {
            b.push_bind(e.dossier_code.clone())
                .push_bind(e.seq)
                .push_bind(e.at_us)
                .push_bind(e.actor_account)
                .push_bind(e.actor.clone())
                .push_bind(e.action.clone())
                .push_bind(e.from_status.map(i32::from))
                .push_bind(i32::from(e.to_status))
                .push_bind(e.from_step.clone())
                .push_bind(e.to_step.clone())
                .push_bind(e.details.clone())
                .push_bind(e.state_hash.clone())
                .push_bind(e.prev_hash.clone())
                .push_bind(e.hash.clone())
                .push_bind(notified);
        });
    }

    /// Fills `search_text` for dossiers stored before it existed, a thousand at a time.
    pub(crate) async fn fill_search_text(pool: &sqlx::Pool<DB>) -> Result<()> {
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

    /// One rating, at most one per dossier: whether it was written (false when the
    /// dossier already had one).
    pub(crate) async fn insert_rating(conn: &mut DB::Connection, r: &Rating) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO ratings (dossier_code, account_id, stars, comment, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (dossier_code) DO NOTHING",
        )
        .bind(r.dossier.as_str().to_owned())
        .bind(r.account_id)
        .bind(i32::from(r.stars.get()))
        .bind(r.comment.clone())
        .bind(micros(r.at))
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
