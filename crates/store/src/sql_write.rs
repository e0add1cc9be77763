//! Write transactions: [`WriteTx`], what every write of the store goes through.
//!
//! PostgreSQL locks rows, so each write is an ordinary transaction on the shared pool and
//! the server commits concurrent ones together in its own WAL flush.
//!
//! SQLite has one write lock for the whole file and its commit costs an fsync, so the store
//! keeps one writing connection behind a fair queue ([`WriteQueue`]) and commits in groups:
//! - a write takes its turn in arrival order, opens the shared transaction if none is open,
//!   and runs inside a savepoint of its own, so a failing write (a taken username, a stale
//!   step) undoes only itself;
//! - on success it releases its savepoint and queues once more; by the time its turn comes
//!   round again, every write that was waiting behind it has run in the same transaction,
//!   and the first of them to come round commits them all with one fsync;
//! - a write returns success only after that commit, so nothing acknowledged is ever lost;
//!   if the commit fails, every write of the group fails and none was acknowledged.
//!
//! A write alone commits at once (nobody queued behind it), so a quiet server answers as
//! fast as before. The commit wait runs as a task of its own: a caller that goes away (a
//! client that hangs up) cannot leave the group uncommitted, and a write dropped half-way
//! is rolled back to its savepoint by a task too, so the shared transaction never stays
//! open on an idle server and other processes (the CLI) can write.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::Executor;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::sql_engine::Engine;
use crate::{Result, StoreError};

/// At most this many writes share a commit; the one that fills the group commits it at
/// once, so a long queue cannot hold the first write's answer back without end.
const MAX_GROUP: usize = 64;

/// The store's way to write: its own transactions on the pool, or the queue in front of
/// SQLite's one writing connection.
pub(crate) enum Writer<DB: sqlx::Database> {
    Pool(sqlx::Pool<DB>),
    Queue(Arc<WriteQueue<DB>>),
}

impl<DB: sqlx::Database> Clone for Writer<DB> {
    fn clone(&self) -> Self {
        match self {
            Writer::Pool(p) => Writer::Pool(p.clone()),
            Writer::Queue(q) => Writer::Queue(q.clone()),
        }
    }
}

/// SQLite's one writing connection and the group being gathered on it.
pub(crate) struct WriteQueue<DB: sqlx::Database> {
    state: Arc<Mutex<QueueState<DB>>>,
    /// How long a write may wait for its turn before it gives up.
    wait: Duration,
    /// Writes committed, and the commits that carried them.
    pub(crate) counts: Arc<GroupCounts>,
    /// Writes waiting for their turn now: with none, a write commits at once.
    waiting: std::sync::atomic::AtomicUsize,
}

/// Counts a write among those waiting for their turn while it waits (however the wait ends).
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(n: &'a std::sync::atomic::AtomicUsize) -> Self {
        n.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Waiting(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// How well writes shared commits so far: `writes / commits` writes per fsync.
#[derive(Debug, Default)]
pub(crate) struct GroupCounts {
    pub(crate) writes: std::sync::atomic::AtomicU64,
    pub(crate) commits: std::sync::atomic::AtomicU64,
}

struct QueueState<DB: sqlx::Database> {
    conn: sqlx::pool::PoolConnection<DB>,
    counts: Arc<GroupCounts>,
    /// The group whose transaction is open, if one is.
    group: Option<Arc<Group>>,
    /// Writes that joined the open group.
    members: usize,
    /// Writes of the open group that released their savepoint and wait for its commit.
    pending: usize,
    /// A write holds the turn and has not finished cleanly (set when it starts, cleared when
    /// its savepoint is released or rolled back): found set by the next turn, that write was
    /// dropped half-way.
    dirty: bool,
    /// The statement that sets the connection back as it was before a bulk load, while one
    /// runs ([`Writer::begin_load`]).
    before_load: Option<String>,
}

/// One commit shared by several writes: how it ended, once it has.
#[derive(Default)]
struct Group {
    outcome: OnceLock<std::result::Result<(), String>>,
}

impl Group {
    /// How the group ended, for each of its writes (`None` while it is open).
    fn result(&self) -> Option<Result<()>> {
        self.outcome.get().map(|o| o.clone().map_err(StoreError::WriteAborted))
    }
}

/// A write transaction: `&mut *tx` is the connection to run statements on; `commit` makes
/// them durable (and returns only then), `rollback` or dropping it undoes them.
pub(crate) struct WriteTx<DB: sqlx::Database>(Inner<DB>);

enum Inner<DB: sqlx::Database> {
    Pooled(sqlx::Transaction<'static, DB>),
    Queued(Turn<DB>),
}

/// A write's turn on the queue: the lock on the connection while its savepoint is open.
struct Turn<DB: sqlx::Database> {
    guard: OwnedMutexGuard<QueueState<DB>>,
    queue: Arc<WriteQueue<DB>>,
    /// What a dropped turn sets going to undo its savepoint.
    tidy: Option<Tidy>,
}

type Tidy = Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync>;

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match &self.0 {
            Inner::Pooled(tx) => tx,
            Inner::Queued(turn) => &turn.guard.conn,
        }
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match &mut self.0 {
            Inner::Pooled(tx) => &mut *tx,
            Inner::Queued(turn) => &mut turn.guard.conn,
        }
    }
}

async fn run<DB: sqlx::Database>(conn: &mut DB::Connection, sql: &'static str) -> Result<()>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    conn.execute(sql).await?;
    Ok(())
}

impl<DB: Engine> Writer<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// Starts a write transaction (on SQLite: waits for its turn).
    pub(crate) async fn begin(&self) -> Result<WriteTx<DB>> {
        match self {
            Writer::Pool(pool) => Ok(WriteTx(Inner::Pooled(pool.begin_with(DB::BEGIN_WRITE).await?))),
            Writer::Queue(queue) => queue.clone().begin().await,
        }
    }

    /// Sets the writing connection for a bulk load (`settings`, by name and value, some of
    /// which SQLite takes only outside a transaction, like `synchronous`), after keeping what
    /// those names hold now; a second call before [`Writer::end_load`] changes nothing. Runs on
    /// its turn, once the writes before it are committed. PostgreSQL's writes have no
    /// connection of their own: nothing to set.
    pub(crate) async fn begin_load(&self, settings: &'static [(&'static str, i64)]) -> Result<()> {
        match self {
            Writer::Pool(_) => Ok(()),
            Writer::Queue(queue) => queue.begin_load(settings).await,
        }
    }

    /// Sets back what [`Writer::begin_load`] changed (nothing if no load began).
    pub(crate) async fn end_load(&self) -> Result<()> {
        match self {
            Writer::Pool(_) => Ok(()),
            Writer::Queue(queue) => queue.end_load().await,
        }
    }

    /// One writing statement: on the pool by itself, on SQLite a write of its own in the queue.
    pub(crate) async fn execute<'q, A>(&self, q: sqlx::query::Query<'q, DB, A>) -> Result<DB::QueryResult>
    where
        A: Send + sqlx::IntoArguments<DB> + 'q,
        for<'c> &'c sqlx::Pool<DB>: Executor<'c, Database = DB>,
    {
        match self {
            Writer::Pool(pool) => Ok(q.execute(pool).await?),
            Writer::Queue(queue) => {
                let mut tx = queue.clone().begin().await?;
                let done = q.execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(done)
            }
        }
    }
}

impl<DB: Engine> WriteQueue<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// Takes `conn` as the one writing connection; a write waits at most `wait` for its turn.
    pub(crate) fn new(conn: sqlx::pool::PoolConnection<DB>, wait: Duration) -> Arc<Self> {
        let counts = Arc::new(GroupCounts::default());
        let state = QueueState {
            conn,
            counts: counts.clone(),
            group: None,
            members: 0,
            pending: 0,
            dirty: false,
            before_load: None,
        };
        Arc::new(WriteQueue { state: Arc::new(Mutex::new(state)), wait, counts, waiting: Default::default() })
    }

    /// Waits for the connection (first come, first served), with whatever a dropped write
    /// left behind undone first.
    async fn turn(&self) -> Result<OwnedMutexGuard<QueueState<DB>>> {
        let waiting = Waiting::new(&self.waiting);
        let mut guard = tokio::time::timeout(self.wait, self.state.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?;
        drop(waiting);
        if guard.dirty {
            unwind(&mut guard).await;
        }
        Ok(guard)
    }

    async fn begin(self: Arc<Self>) -> Result<WriteTx<DB>> {
        let guard = self.turn().await?;
        // From here a drop at any await (the caller gone) leaves `dirty` set: the next turn
        // undoes whatever part of this ran.
        let queue = self.clone();
        let tidy: Tidy = Box::new(move || Box::pin(async move { queue.tidy().await }));
        let mut turn = Turn { guard, queue: self, tidy: Some(tidy) };
        turn.guard.dirty = true;
        if turn.guard.group.is_none() {
            // Both in one trip to the connection's thread.
            run::<DB>(&mut turn.guard.conn, DB::BEGIN_GROUP).await?;
            turn.guard.group = Some(Arc::default());
            turn.guard.members = 0;
            turn.guard.pending = 0;
        } else {
            run::<DB>(&mut turn.guard.conn, "SAVEPOINT w").await?;
        }
        turn.guard.members += 1;
        Ok(WriteTx(Inner::Queued(turn)))
    }

    /// See [`Writer::begin_load`].
    async fn begin_load(&self, settings: &'static [(&'static str, i64)]) -> Result<()> {
        let mut guard = self.turn().await?;
        if guard.before_load.is_some() {
            return Ok(());
        }
        end_group(&mut guard).await;
        let was = DB::settings_now(&mut guard.conn, settings).await?;
        // Kept before the change: if it stops half-way, `end_load` still sets all back.
        guard.before_load = Some(pragmas(&was));
        sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas(settings))).execute(&mut *guard.conn).await?;
        Ok(())
    }

    /// See [`Writer::end_load`].
    async fn end_load(&self) -> Result<()> {
        let mut guard = self.turn().await?;
        let Some(back) = guard.before_load.take() else {
            return Ok(());
        };
        end_group(&mut guard).await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(back)).execute(&mut *guard.conn).await?;
        Ok(())
    }

    /// What the writing connection's settings named in `wanted` hold now, read on its turn.
    pub(crate) async fn settings_now(
        &self,
        wanted: &'static [(&'static str, i64)],
    ) -> Result<Vec<(&'static str, i64)>> {
        let mut guard = self.turn().await?;
        DB::settings_now(&mut guard.conn, wanted).await
    }

    /// Takes a turn to undo what a dropped write left.
    async fn tidy(&self) {
        let _ = self.turn().await;
    }

    /// Waits for `group`'s commit, committing it if it is still open when this turn comes.
    async fn finish(&self, group: Arc<Group>) -> Result<()> {
        if let Some(result) = group.result() {
            return result;
        }
        let mut guard = self.turn().await?;
        if group.result().is_none() {
            commit_group(&mut guard).await;
        }
        group.result().unwrap_or(Ok(()))
    }
}

/// `PRAGMA name = value; …` for SQLite: names from our own constant, integer values, nothing
/// from outside.
fn pragmas(settings: &[(&str, i64)]) -> String {
    settings.iter().map(|(name, value)| format!("PRAGMA {name} = {value}")).collect::<Vec<_>>().join("; ")
}

/// Ends the open group with `outcome` (its transaction is already committed or rolled back).
fn close_group<DB: sqlx::Database>(state: &mut QueueState<DB>, outcome: std::result::Result<(), String>) {
    if let Some(group) = state.group.take() {
        let _ = group.outcome.set(outcome);
    }
    state.members = 0;
    state.pending = 0;
}

/// Rolls back the open transaction, which holds no write anyone waits for.
async fn roll_back_empty<DB: Engine>(state: &mut QueueState<DB>)
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let _ = run::<DB>(&mut state.conn, "ROLLBACK").await;
    close_group(state, Err("không có gì để ghi".into()));
}

/// Commits the open group; its writes learn how it went from the group's outcome.
async fn commit_group<DB: Engine>(state: &mut QueueState<DB>)
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    match run::<DB>(&mut state.conn, "COMMIT").await {
        Ok(()) => {
            state.counts.writes.fetch_add(state.pending as u64, std::sync::atomic::Ordering::Relaxed);
            state.counts.commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            close_group(state, Ok(()));
        }
        Err(e) => fail(state, &e).await,
    }
}

/// Rolls the open transaction back and fails its group (no write of it was acknowledged).
async fn fail<DB: Engine>(state: &mut QueueState<DB>, why: &StoreError)
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    tracing::error!(error = %why, "a group of writes was rolled back");
    let _ = run::<DB>(&mut state.conn, "ROLLBACK").await;
    close_group(state, Err(why.to_string()));
    state.dirty = false;
}

/// Undoes what a write dropped half-way left: its savepoint if it made one, and the
/// transaction if no other write waits for its commit (it may have been cut off while
/// opening it). The statements' errors are expected here (a savepoint never made, a
/// transaction never begun) and change nothing.
async fn unwind<DB: Engine>(state: &mut QueueState<DB>)
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let _ = run::<DB>(&mut state.conn, "ROLLBACK TO w").await;
    let _ = run::<DB>(&mut state.conn, "RELEASE w").await;
    state.dirty = false;
    if state.pending == 0 {
        roll_back_empty(state).await;
    }
}

/// Ends the open transaction, if any, on a turn of its own (no write half-way): commits it
/// when writes wait for it (they learn so as after any commit), else rolls it back.
async fn end_group<DB: Engine>(state: &mut QueueState<DB>)
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    if state.pending > 0 {
        commit_group(state).await;
    } else {
        close_if_idle(state).await;
    }
}

/// Ends the open transaction when no write waits for its commit (it holds nothing then).
async fn close_if_idle<DB: Engine>(state: &mut QueueState<DB>)
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    if state.group.is_some() && state.pending == 0 && !state.dirty {
        roll_back_empty(state).await;
    }
}

impl<DB: Engine> WriteTx<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// Makes the transaction's writes durable; returns once they are.
    pub(crate) async fn commit(self) -> Result<()> {
        match self.0 {
            Inner::Pooled(tx) => Ok(tx.commit().await?),
            Inner::Queued(mut turn) => {
                run::<DB>(&mut turn.guard.conn, "RELEASE w").await?;
                turn.guard.dirty = false;
                turn.guard.pending += 1;
                let Some(group) = turn.guard.group.clone() else {
                    return Err(StoreError::WriteAborted("mất giao dịch ghi chung".into()));
                };
                // Nobody behind us (a quiet server): commit now rather than queue again; a
                // full group commits now too. In a task of its own, like the wait below: a
                // COMMIT cut off by our caller going away would leave the next write unsure
                // whether a transaction is open.
                let alone = turn.queue.waiting.load(std::sync::atomic::Ordering::Acquire) == 0;
                if alone || turn.guard.members >= MAX_GROUP {
                    return tokio::spawn(async move {
                        commit_group(&mut turn.guard).await;
                        group.result().unwrap_or(Ok(()))
                    })
                    .await
                    .map_err(|e| StoreError::WriteAborted(e.to_string()))?;
                }
                let queue = turn.queue.clone();
                drop(turn);
                // A task of its own: the group is committed even if our caller goes away.
                tokio::spawn(async move { queue.finish(group).await })
                    .await
                    .map_err(|e| StoreError::WriteAborted(e.to_string()))?
            }
        }
    }

    /// Undoes the transaction's writes now (a dropped one is undone too, a little later).
    pub(crate) async fn rollback(self) -> Result<()> {
        match self.0 {
            Inner::Pooled(tx) => Ok(tx.rollback().await?),
            Inner::Queued(mut turn) => {
                run::<DB>(&mut turn.guard.conn, "ROLLBACK TO w").await?;
                run::<DB>(&mut turn.guard.conn, "RELEASE w").await?;
                turn.guard.dirty = false;
                close_if_idle(&mut turn.guard).await;
                Ok(())
            }
        }
    }
}

impl<DB: sqlx::Database> Drop for Turn<DB> {
    fn drop(&mut self) {
        if self.guard.dirty {
            // Dropped half-way (an error returned early, or the caller went away): the next
            // turn undoes what ran; a task takes that turn now, so an idle server does not
            // keep the transaction open.
            if let (Ok(rt), Some(tidy)) = (tokio::runtime::Handle::try_current(), self.tidy.take()) {
                rt.spawn(tidy());
            }
        }
    }
}

/// Several writing statements sent to the database at once, for writes whose results are not
/// needed in between: on PostgreSQL the parts of one statement (`WITH s0 AS (INSERT …),
/// s1 AS (…) SELECT 1`: one round trip; a part's foreign keys are checked at the end of the
/// whole statement, so a row may refer to one another part inserts), on SQLite, which has no
/// writing `WITH`, one string of statements run in turn (one trip to the connection's thread).
/// A table should appear in one part only, so no row is changed twice by the statement.
pub(crate) struct Batch<DB: sqlx::Database> {
    pub(crate) qb: sqlx::QueryBuilder<DB>,
    parts: usize,
}

impl<DB: Engine> Batch<DB>
where
    DB::Arguments: sqlx::IntoArguments<DB> + Default,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    pub(crate) fn new() -> Self {
        Batch { qb: sqlx::QueryBuilder::new(if Self::pg() { "WITH " } else { "" }), parts: 0 }
    }

    fn pg() -> bool {
        DB::BACKEND == crate::Backend::Postgres
    }

    /// Starts a part: push one writing statement to `qb`, then call [`Batch::end`].
    pub(crate) fn part(&mut self) -> &mut sqlx::QueryBuilder<DB> {
        if Self::pg() {
            self.qb.push(format!("{}s{} AS (", if self.parts > 0 { ", " } else { "" }, self.parts));
        }
        &mut self.qb
    }

    pub(crate) fn end(&mut self) {
        self.qb.push(if Self::pg() { ")" } else { ";\n" });
        self.parts += 1;
    }

    /// Sends the parts (nothing when there are none).
    pub(crate) async fn execute(mut self, conn: &mut DB::Connection) -> Result<()> {
        if self.parts == 0 {
            return Ok(());
        }
        if Self::pg() {
            self.qb.push(" SELECT 1");
        }
        self.qb.build().execute(&mut *conn).await?;
        Ok(())
    }
}
