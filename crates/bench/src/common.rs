//! What the benchmarks and the load generator share: their error, a timed phase, signing in,
//! a small PDF and the search words citizens type.

use std::time::Duration;

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("không đăng nhập được {0}: {1}")]
    Login(String, String),
    #[error("lỗi kết nối: {0}")]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Store(#[from] motcua_store::StoreError),
    #[error(transparent)]
    Search(#[from] motcua_search::SearchError),
    #[error("danh mục mẫu hỏng: {0}")]
    Catalog(String),
    #[error("{0}")]
    Failed(String),
}

pub struct BenchArgs {
    pub url: String,
    pub concurrency: usize,
    pub duration: Duration,
    pub password: String,
    /// The server's database, for the baseline; `None` skips it.
    pub database_url: Option<String>,
    /// Requests per web page in the pages phase; 0 skips it.
    pub page_requests: usize,
    /// Only the reads at archive scale (`reads.rs`), `page_requests` times each: no writes.
    pub reads_only: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Phase {
    pub(crate) latencies_ms: Vec<f64>,
    pub(crate) errors: u64,
    pub(crate) seconds: f64,
}

impl Phase {
    pub(crate) fn rate(&self) -> f64 {
        self.latencies_ms.len() as f64 / self.seconds.max(1e-9)
    }
    pub(crate) fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let mut v = self.latencies_ms.clone();
        v.sort_by(f64::total_cmp);
        let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v[i.min(v.len() - 1)]
    }
    pub(crate) fn line(&self, name: &str) -> String {
        format!(
            "{name:<34} {:>7} yêu cầu  {:>9.1}/s  p50 {:>7.1} ms  p95 {:>7.1} ms  p99 {:>7.1} ms  lỗi {}",
            self.latencies_ms.len(),
            self.rate(),
            self.percentile(50.0),
            self.percentile(95.0),
            self.percentile(99.0),
            self.errors
        )
    }
}

impl Phase {
    /// Sends the request and reads its whole answer: its time if it succeeded, else an error.
    pub(crate) async fn time(&mut self, req: reqwest::RequestBuilder) {
        let t = std::time::Instant::now();
        let ok = match req.send().await {
            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        if ok {
            self.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        } else {
            self.errors += 1;
        }
    }
}

/// `n` GETs of `url` one after another (with a bearer token unless empty): their times, and
/// those that failed.
pub(crate) async fn get_times(client: &reqwest::Client, url: &str, token: &str, n: usize) -> Phase {
    let mut phase = Phase::default();
    let started = std::time::Instant::now();
    for _ in 0..n {
        let mut req = client.get(url);
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        phase.time(req).await;
    }
    phase.seconds = started.elapsed().as_secs_f64();
    phase
}

pub(crate) async fn login(
    client: &reqwest::Client,
    url: &str,
    username: &str,
    password: &str,
) -> Result<String, BenchError> {
    let r = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    match v["token"].as_str() {
        Some(t) if status.is_success() => Ok(t.to_owned()),
        _ => Err(BenchError::Login(username.to_owned(), format!("HTTP {status}"))),
    }
}

/// A minimal valid PDF, as a citizen's scanned form would be (a few hundred bytes).
pub(crate) const SMALL_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Questions as citizens type them: without accents, with a typo, in everyday words.
pub(crate) const SEARCH_QUERIES: &[&str] = &[
    "dang ky khai sinh",
    "Đăng ký khai sinh",
    "lam lai bang lai",
    "so do bi mat",
    "xin giay phep xay nha",
    "dang ky tam tru",
    "cap lai the can cuoc",
    "ho chieu pho thong",
    "ly lich tu phap",
    "dang ky ket hon",
    "dang ky khai snih",
    "thanh lap cong ty",
    "giay phep ban ruou",
    "chung thuc ban sao",
    "tro cap xa hoi nguoi gia",
    "chuyen truong cho con",
];
