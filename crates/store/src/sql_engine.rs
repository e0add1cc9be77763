//! What differs between the two engines for the store's generic SQL ([`Engine`]), and the
//! bounds that generic SQL is written against ([`Column`], [`RowsAffected`]).

/// What differs between the engines for the store's generic SQL (the statements themselves
/// are the same text: `$n` placeholders, `ON CONFLICT`, `RETURNING` work on both).
pub trait Engine: sqlx::Database<QueryResult: RowsAffected> {
    /// Opens a transaction that will write: SQLite takes the write lock at once
    /// (`BEGIN IMMEDIATE`, so two writers never deadlock upgrading a read lock).
    const BEGIN_WRITE: &'static str;
    /// Opens a group of writes and the first one's savepoint (`sql_write.rs`).
    const BEGIN_GROUP: &'static str;
    /// Which engine this is (for the few statements that differ).
    const BACKEND: crate::Backend;
    /// Ends a `SELECT` whose rows a claim takes: on PostgreSQL, rows another server is
    /// claiming are passed over (SQLite has one writer, so nothing to pass over).
    const SKIP_LOCKED: &'static str;

    /// Streams rows in COPY's text format into `target` (`table (columns)`) on the caller's
    /// connection, inside its transaction; `false` where the engine has no COPY (SQLite), and
    /// the caller inserts the rows instead.
    fn copy_in<'c>(
        conn: &'c mut Self::Connection,
        target: &'c str,
        rows: Vec<u8>,
    ) -> impl std::future::Future<Output = crate::Result<bool>> + Send + 'c;

    /// What the named settings of the writing connection hold now (SQLite's `PRAGMA`s: the
    /// names of `wanted`, with their values as read, not as wanted); none where writes have no
    /// connection of their own (PostgreSQL's go to the pool).
    fn settings_now<'c>(
        conn: &'c mut Self::Connection,
        wanted: &'static [(&'static str, i64)],
    ) -> impl std::future::Future<Output = crate::Result<Vec<(&'static str, i64)>>> + Send + 'c;
}

/// A Rust type both engines keep in a column: one `T: Column<DB>` in a `where` clause stands
/// for its encode, decode and type bounds (a trait's supertraits carry to its users; the
/// `where` clauses of a trait do not).
pub trait Column<DB: sqlx::Database>:
    for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>
{
}

impl<DB: sqlx::Database, T> Column<DB> for T where
    T: for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>
{
}

/// How many rows a statement changed: each engine's result type has it, under no common trait.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}

impl Engine for sqlx::Sqlite {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const BEGIN_GROUP: &'static str = "BEGIN IMMEDIATE; SAVEPOINT w";
    const SKIP_LOCKED: &'static str = "";
    const BACKEND: crate::Backend = crate::Backend::Sqlite;

    fn copy_in<'c>(
        _conn: &'c mut sqlx::SqliteConnection,
        _target: &'c str,
        _rows: Vec<u8>,
    ) -> impl std::future::Future<Output = crate::Result<bool>> + Send + 'c {
        std::future::ready(Ok(false))
    }

    async fn settings_now(
        conn: &mut sqlx::SqliteConnection,
        wanted: &'static [(&'static str, i64)],
    ) -> crate::Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::with_capacity(wanted.len());
        for &(name, _) in wanted {
            // A name from our own constant, never from outside.
            let read = sqlx::AssertSqlSafe(format!("PRAGMA {name}"));
            out.push((name, sqlx::query_scalar(read).fetch_one(&mut *conn).await?));
        }
        Ok(out)
    }
}

impl Engine for sqlx::Postgres {
    const BEGIN_WRITE: &'static str = "BEGIN";
    const BEGIN_GROUP: &'static str = "BEGIN; SAVEPOINT w";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const BACKEND: crate::Backend = crate::Backend::Postgres;

    async fn copy_in<'c>(conn: &'c mut sqlx::PgConnection, target: &'c str, rows: Vec<u8>) -> crate::Result<bool> {
        let mut copy = conn.copy_in_raw(&format!("COPY {target} FROM STDIN")).await?;
        copy.send(rows).await?;
        copy.finish().await?;
        Ok(true)
    }

    fn settings_now<'c>(
        _conn: &'c mut sqlx::PgConnection,
        _wanted: &'static [(&'static str, i64)],
    ) -> impl std::future::Future<Output = crate::Result<Vec<(&'static str, i64)>>> + Send + 'c {
        std::future::ready(Ok(Vec::new()))
    }
}
