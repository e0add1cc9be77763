//! Live events between servers sharing a PostgreSQL database: a change made on one (a ticket
//! called, a dossier submitted) reaches the live pages connected to every other through
//! `NOTIFY` on one channel (per schema) and a `LISTEN`ing connection per server. SQLite's one server needs
//! neither: its events stay in its process.

use async_trait::async_trait;
use sqlx::postgres::PgListener;

use crate::Result;
use crate::sql_shared::{Engine, SqlStore};

/// The channel every server listens on, in the default schema.
pub const CHANNEL: &str = "motcua_events";

/// The channel of the schema a connection works in: [`CHANNEL`] in `public`, else with a hash
/// of the schema's name. `NOTIFY` reaches every listener of the *database*, and deployments
/// kept apart by schema (one database, several provinces or test runs) must not hear each
/// other.
const CHANNEL_SQL: &str = "'motcua_events' || CASE WHEN current_schema() = 'public' THEN '' \
     ELSE '_' || left(md5(current_schema()), 16) END";

/// The most a payload may hold (PostgreSQL's limit is 8,000 bytes).
pub const MAX_PAYLOAD: usize = 7_900;

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Tells every listening server `payload` (at most [`MAX_PAYLOAD`] bytes). Nothing on
    /// SQLite.
    async fn notify(&self, payload: &str) -> Result<()>;
    /// A connection listening on the schema's channel; `None` on SQLite.
    async fn listen(&self) -> Result<Option<Listener>>;
}

/// A connection receiving what every server notifies.
pub struct Listener(PgListener);

impl Listener {
    /// The next payload; `None` when the connection was lost (it reconnects on the next call,
    /// and whatever was notified meanwhile is gone: the caller should refresh everything).
    pub async fn next(&mut self) -> Result<Option<String>> {
        Ok(self.0.try_recv().await?.map(|n| n.payload().to_owned()))
    }
}

/// The pool when it is PostgreSQL's: only there do servers share events.
fn pg<DB: Engine>(pool: &sqlx::Pool<DB>) -> Option<&sqlx::PgPool> {
    (pool as &dyn std::any::Any).downcast_ref::<sqlx::PgPool>()
}

#[async_trait]
impl<DB: Engine> EventStore for SqlStore<DB> {
    async fn notify(&self, payload: &str) -> Result<()> {
        if let Some(pool) = pg(&self.pool) {
            let sql = format!("SELECT pg_notify({CHANNEL_SQL}, $1)");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(payload).execute(pool).await?;
        }
        Ok(())
    }

    async fn listen(&self) -> Result<Option<Listener>> {
        let Some(pool) = pg(&self.pool) else { return Ok(None) };
        let channel: String =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {CHANNEL_SQL}"))).fetch_one(pool).await?;
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(&channel).await?;
        Ok(Some(Listener(listener)))
    }
}
