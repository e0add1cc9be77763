//! How many SQL statements each write request sends to the database: a second, in-process
//! server on the bench's database answers a few submissions and actions one at a time while a
//! tracing layer counts sqlx's statement events (`sqlx::query`, one per statement, BEGIN and
//! COMMIT included) inside each request's `http` span. On PostgreSQL each statement is one
//! round trip. (SQLite runs statements on its connections' own threads, outside the request's
//! span, and has no network between; its count is not taken.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use crate::common::{BenchError, SMALL_PDF, login};

/// The statements each request sent, by request kind ("POST /api/v1/dossiers", …): one
/// list per request, each statement by its summary (sqlx's first words of it).
pub type Tally = BTreeMap<String, Vec<Vec<String>>>;

/// Counts statement events by the request they happened in.
struct Counter {
    tally: Arc<Mutex<Tally>>,
}

/// Kept in an `http` span's extensions: the request's kind and its statements so far.
struct InRequest {
    kind: String,
    statements: Vec<String>,
}

/// Reads a statement event's summary.
#[derive(Default)]
struct Summary(String);

impl tracing::field::Visit for Summary {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Reads the method and path off the `http` span's fields.
#[derive(Default)]
struct Fields {
    method: String,
    path: String,
}

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "method" => self.method = format!("{value:?}"),
            "path" => self.path = format!("{value:?}"),
            _ => {}
        }
    }
}

/// A dossier code or a number in a path stands for any: `/api/v1/dossiers/{code}/actions`
/// (`v1` is a word of the path, not a value).
fn route_of(path: &str) -> String {
    path.split('/')
        .map(|s| if s.len() > 3 && s.chars().any(|c| c.is_ascii_digit()) { "{code}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Counter {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "http" {
            return;
        }
        let mut f = Fields::default();
        attrs.record(&mut f);
        if let Some(span) = ctx.span(id) {
            let kind = format!("{} {}", f.method, route_of(&f.path));
            span.extensions_mut().insert(InRequest { kind, statements: Vec::new() });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let Some(scope) = ctx.event_scope(event) else { return };
        for span in scope {
            if let Some(r) = span.extensions_mut().get_mut::<InRequest>() {
                let mut summary = Summary::default();
                event.record(&mut summary);
                r.statements.push(summary.0);
                return;
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if let Some(r) = span.extensions_mut().remove::<InRequest>()
            && let Ok(mut t) = self.tally.lock()
        {
            t.entry(r.kind).or_default().push(r.statements);
        }
    }
}

/// Prints one line per kind of write request of [`tally`]: statements per request, fewest
/// and most.
pub fn count(database_url: &str, password: &str, requests: usize) -> Result<Vec<String>, BenchError> {
    let tally = tally(database_url, password, requests)?;
    let mut out = Vec::new();
    for (kind, label) in [
        ("POST /api/v1/dossiers", "nộp hồ sơ (kèm 1 tệp PDF)"),
        ("POST /api/v1/dossiers/{code}/actions", "thao tác (tiếp nhận, chuyển bước)"),
    ] {
        let counts: Vec<usize> = tally.get(kind).map(|r| r.iter().map(Vec::len).collect()).unwrap_or_default();
        if !counts.is_empty() {
            let (min, max) = (counts.iter().min().copied().unwrap_or(0), counts.iter().max().copied().unwrap_or(0));
            let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
            out.push(format!(
                "câu lệnh SQL mỗi yêu cầu — {label}: trung bình {mean:.1} (ít nhất {min}, nhiều nhất {max}; {} yêu cầu)",
                counts.len()
            ));
        }
    }
    Ok(out)
}

/// Runs the probe (`requests` submissions, each received and forwarded) on its own thread
/// (the counting subscriber is that thread's default, and the probe's server and client run
/// on a single-threaded runtime there): the statements of each request, by kind, in order.
pub fn tally(database_url: &str, password: &str, requests: usize) -> Result<Tally, BenchError> {
    let (url, password) = (database_url.to_owned(), password.to_owned());
    let tally: Arc<Mutex<Tally>> = Arc::default();
    let counter = Counter { tally: tally.clone() };
    let handle = std::thread::spawn(move || -> Result<(), BenchError> {
        let subscriber = tracing_subscriber::registry().with(counter);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BenchError::Failed(e.to_string()))?;
        tracing::subscriber::with_default(subscriber, || rt.block_on(probe(&url, &password, requests)))
    });
    handle.join().map_err(|_| BenchError::Failed("luồng đếm câu lệnh dừng bất thường".into()))??;
    let mut tally = tally.lock().map_err(|_| BenchError::Failed("bảng đếm hỏng".into()))?;
    Ok(std::mem::take(&mut *tally))
}

async fn probe(database_url: &str, password: &str, requests: usize) -> Result<(), BenchError> {
    let dir = std::env::temp_dir().join(format!("motcua-bench-statements-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| BenchError::Failed(e.to_string()))?;
    let store = motcua_store::connect(database_url, &Default::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| BenchError::Failed(e.to_string()))?;
    let addr = listener.local_addr().map_err(|e| BenchError::Failed(e.to_string()))?;
    let settings = motcua::app::ServerSettings {
        data_dir: dir.clone(),
        limits: motcua::throttle::Limits::off(),
        quotas: motcua::app::AccountQuotas { dossiers_per_day: 0, bytes_per_day: 0 },
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(motcua::server::serve(listener, store, settings, async {
        let _ = stopped.await;
    }));
    let url = format!("http://{addr}");
    let client = reqwest::Client::new();
    let result = async {
        let citizen = login(&client, &url, "congdan", password).await?;
        let desk = login(&client, &url, "halong.motcua", password).await?;
        let specialist = login(&client, &url, "halong.chuyenvien", password).await?;
        for _ in 0..requests {
            let form = reqwest::multipart::Form::new()
                .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
                .part("component-0", reqwest::multipart::Part::bytes(SMALL_PDF).file_name("to-khai.pdf"));
            let r = client.post(format!("{url}/api/v1/dossiers")).bearer_auth(&citizen).multipart(form).send().await?;
            let code = r.json::<serde_json::Value>().await?["code"].as_str().unwrap_or_default().to_owned();
            for (token, action) in [(&desk, "receive"), (&specialist, "forward")] {
                client
                    .post(format!("{url}/api/v1/dossiers/{code}/actions"))
                    .bearer_auth(token)
                    .json(&json!({"action": action}))
                    .send()
                    .await?
                    .error_for_status()?;
            }
        }
        Ok::<(), BenchError>(())
    }
    .await;
    let _ = stop.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_in_paths_stand_for_any() {
        assert_eq!(
            super::route_of("/api/v1/dossiers/000.00.37.H22-261203-0001/actions"),
            "/api/v1/dossiers/{code}/actions"
        );
        assert_eq!(super::route_of("/api/v1/dossiers"), "/api/v1/dossiers");
    }
}
