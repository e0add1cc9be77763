//! Submissions to one desk on one day, written in groups. Their codes come from one row of
//! `dossier_sequences`, and gap-free codes mean a code is given only in the transaction that
//! writes its dossier: every submission to a desk waits for the one before it to commit. So
//! the submissions that arrive while a desk's transaction is open wait in this process (the
//! queue is `desk_queue.rs`), and the next transaction takes them all (up to
//! [`MAX_GROUP`](crate::desk_queue::MAX_GROUP)): their idempotency keys looked up in one statement, the sequence moved on by their number in one, their
//! dossiers, first events, files, keys and counters written in one, one commit. The row is
//! held once for the group instead of once per submission (on PostgreSQL: four round trips
//! and a WAL flush each). Each server has its own queues; servers sharing a database still
//! take turns on the row itself, so codes stay gap-free and unique between them.
//!
//! A group that fails before its commit (a key used twice inside it, a dossier its builder
//! refused, …) is undone as a whole and its submissions are written one by one, each
//! answered on its own, as if they had come alone. A commit that fails is answered as such to
//! all: whether it reached the disk is unknown, and the clients' retries with their keys say.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::attachment::Attachment;
use motcua_domain::audit::Event;
use motcua_domain::stats::Delta;
use motcua_domain::workflow::Dossier;
use motcua_domain::{DossierCode, OrgCode};
use sqlx::Row;
use tokio::sync::oneshot;
use tracing::Instrument;

use crate::desk_queue::{DeskDay, Pending, Serving};
use crate::sql_shared::*;
use crate::sql_shared::{Engine, SqlStore};
use crate::sql_write::Batch;
use crate::{BuildDossier, CreateOutcome, FileContent, IdempotencyKey, Placement, Result, StoreError, StoredDossier};

/// Why a group was not written.
enum GroupError {
    /// Undone before its commit: its submissions may be written one by one.
    Undone(StoreError),
    /// The commit itself failed: whether it reached the disk is unknown.
    Commit(StoreError),
}

impl From<StoreError> for GroupError {
    fn from(e: StoreError) -> Self {
        GroupError::Undone(e)
    }
}

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
    /// Queues the submission for its desk and day and waits for its answer.
    pub(crate) async fn create_at_desk(
        &self,
        unit: &OrgCode,
        day: Date,
        key: Option<IdempotencyKey>,
        attachments: Vec<Attachment>,
        contents: Vec<FileContent>,
        build: BuildDossier,
    ) -> Result<CreateOutcome> {
        let (reply, answer) = oneshot::channel();
        let desk = (unit.as_str().to_owned(), day);
        let pending = Pending { key, attachments, contents, build, reply, span: tracing::Span::current() };
        if self.desks.enqueue(&desk, pending) {
            // A task of its own: a caller that goes away must not stop the others' writes.
            let store = self.clone();
            let unit = unit.clone();
            tokio::spawn(async move { store.serve_desk(unit, desk).await });
        }
        answer.await.map_err(|_| StoreError::WriteAborted("hàng đợi nộp hồ sơ của bộ phận một cửa đã dừng".into()))?
    }

    async fn serve_desk(self, unit: OrgCode, desk: DeskDay) {
        let mut serving = Serving { desks: self.desks.clone(), desk, done: false };
        let day = serving.desk.1;
        while let Some(group) = self.desks.take(&serving.desk) {
            let span = group.first().map(|p| p.span.clone()).unwrap_or_else(tracing::Span::none);
            self.serve_group(&unit, day, group).instrument(span).await;
        }
        serving.done = true;
    }

    /// Writes one group and answers each of its submissions.
    async fn serve_group(&self, unit: &OrgCode, day: Date, group: Vec<Pending>) {
        let alone = if group.len() == 1 {
            group
        } else {
            match self.create_group(unit, day, &group).await {
                Ok(outcomes) => {
                    let answers: Vec<Result<CreateOutcome>> = outcomes.into_iter().map(Ok).collect();
                    self.desks.count(&answers);
                    match Self::words(true) {
                        Words::Marked => {
                            // The search words beside the desk's next group; the answers after
                            // them, so a dossier is found as soon as its submitter hears of it.
                            let store = self.clone();
                            tokio::spawn(
                                async move {
                                    store.write_terms_of(&answers).await;
                                    Self::reply(group, answers);
                                }
                                .in_current_span(),
                            );
                        }
                        words => {
                            if words == Words::Recent {
                                self.move_recent_words_soon();
                            }
                            Self::reply(group, answers);
                        }
                    }
                    return;
                }
                Err(GroupError::Commit(e)) => {
                    let message = e.to_string();
                    for p in group {
                        let _ = p.reply.send(Err(StoreError::WriteAborted(message.clone())));
                    }
                    return;
                }
                Err(GroupError::Undone(e)) => {
                    tracing::debug!(error = %e, size = group.len(), "submissions written one by one");
                    group
                }
            }
        };
        for p in alone {
            let answer = self.create_one(unit, day, &p).await;
            self.desks.count(std::slice::from_ref(&answer));
            if answer.is_ok() && Self::words(false) == Words::Recent {
                self.move_recent_words_soon();
            }
            let _ = p.reply.send(answer);
        }
    }

    fn reply(group: Vec<Pending>, answers: Vec<Result<CreateOutcome>>) {
        for (p, answer) in group.into_iter().zip(answers) {
            let _ = p.reply.send(answer);
        }
    }

    /// Where a new dossier's search words are written (`grouped`: in a group of several).
    ///
    /// On PostgreSQL a group's words come after its commit, out of the desk's chain: they were
    /// half of the group's one statement (20 rows a dossier) and the next group waits for the
    /// whole transaction. The group's statement marks its dossiers in `dossier_terms_pending`
    /// instead, so words a crash cut off are written when a store opens.
    ///
    /// On SQLite, whose one writer would write them in the same queue, they are appended to
    /// `dossier_terms_recent` in the dossier's own transaction (a row a dossier), and moved
    /// into `dossier_terms` a moment later, many commits' words in one transaction
    /// ([`move_recent_words_soon`](Self::move_recent_words_soon)): written at their keys,
    /// each word and organisation a page of its own, they were half a submission's cost.
    fn words(grouped: bool) -> Words {
        match (DB::BACKEND, grouped) {
            (crate::Backend::Sqlite, _) => Words::Recent,
            (crate::Backend::Postgres, true) => Words::Marked,
            (crate::Backend::Postgres, false) => Words::Terms,
        }
    }

    /// How long the recent words wait before they are moved: long enough that a move takes
    /// many commits' words at once, short enough that the table a search scans stays small.
    const WORDS_MOVE_AFTER: std::time::Duration = std::time::Duration::from_millis(50);

    /// Moves `dossier_terms_recent` into `dossier_terms` in a moment, unless a move is already
    /// due. A task of its own, which ends with the move: nothing outlives the store for long.
    fn move_recent_words_soon(&self) {
        if !self.desks.words_move_due() {
            return;
        }
        let store = self.clone();
        tokio::spawn(
            async move {
                tokio::time::sleep(Self::WORDS_MOVE_AFTER).await;
                let moved = async {
                    let mut tx = store.writer.begin().await?;
                    // Whatever is committed from here on is not in this move: the next is due.
                    store.desks.words_move_begun();
                    Self::move_recent_words(&mut tx).await?;
                    tx.commit().await
                };
                if let Err(e) = moved.await {
                    // The words stay where the search finds them; the next commit tries again
                    // (also when the writer's turn never came).
                    store.desks.words_move_begun();
                    tracing::warn!(error = %e, "chưa chuyển được từ tìm kiếm của hồ sơ mới");
                }
            }
            .in_current_span(),
        );
    }

    /// Writes the search words of the dossiers a group created and takes them off
    /// `dossier_terms_pending`, in one statement; tried twice, then left for the next open.
    async fn write_terms_of(&self, answers: &[Result<CreateOutcome>]) {
        let dossiers: Vec<&Dossier> =
            answers.iter().filter_map(|a| a.as_ref().ok().and_then(created_dossier)).collect();
        if dossiers.is_empty() {
            return;
        }
        for attempt in 1..=2 {
            let written = match self.pool.acquire().await {
                Ok(mut conn) => Self::write_marked_terms(&mut conn, &dossiers).await,
                Err(e) => Err(e.into()),
            };
            match written {
                Ok(()) => return,
                Err(e) if attempt == 1 => {
                    tracing::warn!(error = %e, "chưa ghi được từ tìm kiếm của hồ sơ mới; thử lại");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "từ tìm kiếm của hồ sơ mới sẽ được ghi khi máy chủ khởi động lại")
                }
            }
        }
    }

    /// One submission in a transaction of its own.
    async fn create_one(&self, unit: &OrgCode, day: Date, p: &Pending) -> Result<CreateOutcome> {
        let key = p.key.as_ref();
        let mut tx = self.writer.begin().await?;
        if let Some(k) = key
            && let Some((code, request_hash)) =
                Self::used_keys(&mut tx, &[k]).await?.remove(&(k.account_id, k.key.clone()))
        {
            tx.rollback().await?;
            return Ok(CreateOutcome::Existing { code, request_hash });
        }
        let seq = Self::take_sequence(&mut tx, unit, day, 1).await?;
        let (created, delta) = Self::built(unit, day, seq, &p.build)?;
        let mut batch = Batch::new();
        let words = Self::words(false);
        Self::push_new_dossier(&mut batch, &created, &p.attachments, key, words == Words::Terms);
        if words == Words::Recent {
            Self::push_recent_words(&mut batch, &[&created.dossier]);
        }
        Self::push_contents(&mut batch, p.contents.iter());
        Self::push_stat_delta(&mut tx, &mut batch, &delta).await?;
        batch.execute(&mut tx).await?;
        tx.commit().await?;
        Ok(created.outcome())
    }

    async fn create_group(
        &self,
        unit: &OrgCode,
        day: Date,
        group: &[Pending],
    ) -> std::result::Result<Vec<CreateOutcome>, GroupError> {
        let mut tx = self.writer.begin().await?;
        let keys: Vec<&IdempotencyKey> = group.iter().filter_map(|p| p.key.as_ref()).collect();
        let used = Self::used_keys(&mut tx, &keys).await?;
        let fresh = group
            .iter()
            .filter(|p| p.key.as_ref().is_none_or(|k| !used.contains_key(&(k.account_id, k.key.clone()))))
            .count();
        let mut seq = if fresh > 0 { Self::take_sequence(&mut tx, unit, day, fresh).await? } else { 0 };
        seq -= i64::try_from(fresh).unwrap_or(0);
        let mut batch = Batch::new();
        let mut delta = Delta { cells: Vec::new(), open: Vec::new() };
        let mut outcomes = Vec::with_capacity(group.len());
        let mut contents = Vec::new();
        let words = Self::words(true);
        for p in group {
            if let Some((code, request_hash)) = p.key.as_ref().and_then(|k| used.get(&(k.account_id, k.key.clone()))) {
                let (code, request_hash) = (code.clone(), request_hash.clone());
                outcomes.push(CreateOutcome::Existing { code, request_hash });
                continue;
            }
            seq += 1;
            let (created, d) = Self::built(unit, day, seq, &p.build)?;
            Self::push_new_dossier(&mut batch, &created, &p.attachments, p.key.as_ref(), words == Words::Terms);
            delta.cells.extend(d.cells);
            delta.open.extend(d.open);
            outcomes.push(created.outcome());
            contents.extend(&p.contents);
        }
        Self::push_contents(&mut batch, contents.into_iter());
        let new: Vec<&Dossier> = outcomes.iter().filter_map(created_dossier).collect();
        match words {
            Words::Recent => Self::push_recent_words(&mut batch, &new),
            Words::Marked if !new.is_empty() => {
                let qb = batch.part();
                qb.push("INSERT INTO dossier_terms_pending (dossier_code) ");
                qb.push_values(new, |mut b, d| {
                    b.push_bind(d.code.as_str().to_owned());
                });
                batch.end();
            }
            _ => {}
        }
        Self::push_stat_delta(&mut tx, &mut batch, &delta).await?;
        batch.execute(&mut tx).await?;
        tx.commit().await.map_err(GroupError::Commit)?;
        Ok(outcomes)
    }

    /// The dossiers these keys created, by (account, key).
    async fn used_keys(
        conn: &mut DB::Connection,
        keys: &[&IdempotencyKey],
    ) -> Result<HashMap<(i64, String), (DossierCode, String)>> {
        let mut used = HashMap::new();
        if keys.is_empty() {
            return Ok(used);
        }
        let mut qb = sqlx::QueryBuilder::<DB>::new(
            "SELECT account_id, key, dossier_code, request_hash FROM idempotency_keys WHERE ",
        );
        for (i, k) in keys.iter().enumerate() {
            qb.push(if i == 0 { "(account_id = " } else { " OR (account_id = " });
            qb.push_bind(k.account_id).push(" AND key = ").push_bind(k.key.clone()).push(")");
        }
        for r in qb.build().fetch_all(&mut *conn).await? {
            let code = DossierCode::parse(r.try_get::<&str, _>(2)?).map_err(corrupt("mã hồ sơ"))?;
            used.insert((r.try_get(0)?, r.try_get(1)?), (code, r.try_get(3)?));
        }
        Ok(used)
    }

    /// Moves the desk's day sequence on by `n` and returns its new last value (the codes
    /// given are the `n` up to it). The row stays locked until the transaction ends.
    async fn take_sequence(conn: &mut DB::Connection, unit: &OrgCode, day: Date, n: usize) -> Result<i64> {
        let n = i64::try_from(n).map_err(corrupt("số hồ sơ"))?;
        Ok(sqlx::query(
            "INSERT INTO dossier_sequences (org_code, day, last_value) VALUES ($1, $2, $3)
             ON CONFLICT (org_code, day) DO UPDATE SET last_value = dossier_sequences.last_value + $3
             RETURNING last_value",
        )
        .bind(unit.as_str().to_owned())
        .bind(day.to_string())
        .bind(n)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?)
    }

    /// The dossier numbered `seq`, built, and its counters' change.
    fn built(unit: &OrgCode, day: Date, seq: i64, build: &BuildDossier) -> Result<(Created, Delta)> {
        let seq = u32::try_from(seq).map_err(corrupt("số thứ tự hồ sơ"))?;
        let code = DossierCode::new(unit, day, seq).map_err(corrupt("mã hồ sơ"))?;
        let (dossier, placement, draft) = build(code.clone()).map_err(StoreError::Corrupt)?;
        if dossier.code != code {
            return Err(StoreError::Corrupt(format!("hồ sơ được dựng với mã {} thay vì {code}", dossier.code)));
        }
        let body = dossier_body(&dossier)?;
        let event = draft.into_event(code.as_str(), 1, &body, motcua_domain::audit::GENESIS);
        let delta = crate::sql_stats::dossier_delta(None, Some(&dossier));
        Ok((Created { dossier, placement, body, event }, delta))
    }

    /// The dossier's row, as it stands after `last` (its last event).
    pub(crate) fn push_dossier_row(
        qb: &mut sqlx::QueryBuilder<DB>,
        d: &Dossier,
        placement: &Placement,
        body: &str,
        last: &Event,
    ) {
        Self::push_dossier_rows(qb, std::iter::once((d, placement, body, last)));
    }

    /// Dossiers' rows in one `INSERT`, each as it stands after its last event.
    pub(crate) fn push_dossier_rows<'a>(
        qb: &mut sqlx::QueryBuilder<DB>,
        rows: impl Iterator<Item = (&'a Dossier, &'a Placement, &'a str, &'a Event)>,
    ) {
        qb.push(
            "INSERT INTO dossiers (code, procedure_code, desk_org, processing_org, owner_account, status, step,
               waiting_org, waiting_role, submitted_at, due_at, finished_at, body, last_event_seq, last_event_hash, channel, search_text) ",
        );
        qb.push_values(rows, |mut b, (d, placement, body, last)| {
            b.push_bind(d.code.as_str().to_owned())
                .push_bind(d.procedure.as_str().to_owned())
                .push_bind(d.desk_org.as_str().to_owned())
                .push_bind(d.processing_org.as_str().to_owned())
                .push_bind(d.owner_account)
                .push_bind(i32::from(d.status.code()))
                .push_bind(d.step.clone())
                .push_bind(placement.as_ref().map(|p| p.0.as_str().to_owned()))
                .push_bind(placement.as_ref().map(|p| p.1.as_str().to_owned()))
                .push_bind(micros(d.submitted_at))
                .push_bind(d.due_at.map(micros))
                .push_bind(d.finished_at.map(micros))
                .push_bind(body.to_owned())
                .push_bind(last.seq)
                .push_bind(last.hash.clone())
                .push_bind(d.channel.as_str().to_owned())
                .push_bind(search_text(d));
        });
    }

    /// Files kept in the database, each content once (several submissions may carry the
    /// same file; one already kept stays as it is).
    fn push_contents<'a>(batch: &mut Batch<DB>, contents: impl Iterator<Item = &'a FileContent>) {
        let mut seen = std::collections::HashSet::new();
        let contents: Vec<&FileContent> = contents.filter(|c| seen.insert(c.sha256.as_str())).collect();
        if contents.is_empty() {
            return;
        }
        let qb = batch.part();
        qb.push("INSERT INTO file_contents (sha256, content) ");
        qb.push_values(contents, |mut b, c| {
            b.push_bind(c.sha256.clone()).push_bind(c.bytes.clone());
        });
        qb.push(" ON CONFLICT (sha256) DO NOTHING");
        batch.end();
    }

    /// The parts that write a new dossier: the row, its first event, its search words in
    /// `dossier_terms` (with `terms`), its files, its key.
    fn push_new_dossier(
        batch: &mut Batch<DB>,
        c: &Created,
        attachments: &[Attachment],
        key: Option<&IdempotencyKey>,
        terms: bool,
    ) {
        let code = &c.dossier.code;
        Self::push_dossier_row(batch.part(), &c.dossier, &c.placement, &c.body, &c.event);
        batch.end();
        Self::push_event(batch.part(), &c.event, false);
        batch.end();
        if terms {
            Self::push_terms_of(batch.part(), &Self::own_term_rows(&c.dossier));
            batch.end();
        }
        if !attachments.is_empty() {
            Self::push_attachments(batch.part(), code, attachments, None, 1);
            batch.end();
        }
        if let Some(k) = key {
            let qb = batch.part();
            qb.push("INSERT INTO idempotency_keys (account_id, key, request_hash, dossier_code, created_at) VALUES (");
            qb.separated(", ")
                .push_bind(k.account_id)
                .push_bind(k.key.clone())
                .push_bind(k.request_hash.clone())
                .push_bind(code.as_str().to_owned())
                .push_bind(micros(Timestamp::now()));
            qb.push(")");
            batch.end();
        }
    }
}

/// Where a new dossier's search words are written in its transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Words {
    /// `dossier_terms`.
    Terms,
    /// `dossier_terms_recent` (SQLite), moved into `dossier_terms` a moment later.
    Recent,
    /// None: the dossier is marked in `dossier_terms_pending`, its words written after the
    /// commit (PostgreSQL's groups).
    Marked,
}

/// The dossier a submission created (none for one its key had created before).
fn created_dossier(o: &CreateOutcome) -> Option<&Dossier> {
    match o {
        CreateOutcome::Created(c) => Some(&c.0.dossier),
        CreateOutcome::Existing { .. } => None,
    }
}

/// A dossier built with its code, before it is written.
struct Created {
    dossier: Dossier,
    placement: Placement,
    body: String,
    event: Event,
}

impl Created {
    fn outcome(self) -> CreateOutcome {
        let last_hash = self.event.hash.clone();
        CreateOutcome::Created(Box::new((
            StoredDossier { dossier: self.dossier, body: self.body, last_seq: 1, last_hash },
            self.event,
        )))
    }
}
