//! The engine's own insert rate, as the baseline `motcua bench` compares against: one
//! single-row INSERT per transaction, committed with the same durability settings motcua
//! uses, from `concurrency` tasks for `duration`.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use motcua_store::{Result, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct Baseline {
    pub inserts: u64,
    pub seconds: f64,
}

impl Baseline {
    pub fn per_second(&self) -> f64 {
        self.inserts as f64 / self.seconds.max(1e-9)
    }
}

const PAYLOAD: &str = "{\"ma_ho_so\":\"000.00.01.H22-250303-0001\",\"trang_thai\":2,\"ghi_chu\":\"dữ liệu chuẩn\"}";

/// Runs `insert` from `concurrency` tasks until `duration` has passed, counting successes;
/// returns the seconds it took.
async fn insert_for<F, Fut>(concurrency: usize, duration: Duration, count: &Arc<AtomicU64>, insert: F) -> Result<f64>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = std::result::Result<(), sqlx::Error>> + Send,
{
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (insert, count) = (insert.clone(), count.clone());
        tasks.spawn(async move {
            while start.elapsed() < duration {
                insert().await?;
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), sqlx::Error>(())
        });
    }
    for r in tasks.join_all().await {
        r?;
    }
    Ok(start.elapsed().as_secs_f64())
}

/// For SQLite, a scratch file beside the database (same disk, same pragmas); for PostgreSQL a
/// scratch table in the same database, dropped afterwards.
pub async fn insert_baseline(url: &str, concurrency: usize, duration: Duration) -> Result<Baseline> {
    let concurrency = concurrency.max(1);
    let count = Arc::new(AtomicU64::new(0));
    let seconds;
    if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        let scratch = opts.get_filename().with_extension("bench-baseline.db");
        let _ = std::fs::remove_file(&scratch);
        let opts = SqliteConnectOptions::new()
            .filename(&scratch)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(concurrency as u32).connect_with(opts).await?;
        sqlx::query("CREATE TABLE baseline (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL)")
            .execute(&pool)
            .await?;
        let pool_for_tasks = pool.clone();
        seconds = insert_for(concurrency, duration, &count, move || {
            let pool = pool_for_tasks.clone();
            async move {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query("INSERT INTO baseline (payload) VALUES ($1)").bind(PAYLOAD).execute(&mut *tx).await?;
                tx.commit().await
            }
        })
        .await?;
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
        }
    } else {
        let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        let pool = PgPoolOptions::new().max_connections(concurrency as u32).connect_with(opts).await?;
        sqlx::query("DROP TABLE IF EXISTS motcua_bench_baseline").execute(&pool).await?;
        sqlx::query("CREATE TABLE motcua_bench_baseline (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)")
            .execute(&pool)
            .await?;
        let pool_for_tasks = pool.clone();
        seconds = insert_for(concurrency, duration, &count, move || {
            let pool = pool_for_tasks.clone();
            async move {
                sqlx::query("INSERT INTO motcua_bench_baseline (payload) VALUES ($1)")
                    .bind(PAYLOAD)
                    .execute(&pool)
                    .await?;
                Ok(())
            }
        })
        .await?;
        sqlx::query("DROP TABLE motcua_bench_baseline").execute(&pool).await?;
        pool.close().await;
    }
    Ok(Baseline { inserts: count.load(Ordering::Relaxed), seconds })
}
