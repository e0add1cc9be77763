//! The realistic mix of `motcua bench` (citizens searching, tracking, submitting with a file;
//! officers viewing, receiving and forwarding; leaders on the dashboard), and
//! `motcua bench-crash`, which runs that mix against a `motcua serve` it kills with SIGKILL
//! at random moments, then proves that nothing the server acknowledged was lost.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{BenchError, Phase, SEARCH_QUERIES, login};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    Search,
    Track,
    View,
    Dashboard,
    Submit,
    Receive,
    Forward,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::Search => "tìm thủ tục (công dân)",
            Op::Track => "tra cứu theo mã (công dân)",
            Op::View => "xem hồ sơ (chuyên viên)",
            Op::Dashboard => "bảng điều hành (lãnh đạo)",
            Op::Submit => "nộp hồ sơ kèm tệp",
            Op::Receive => "tiếp nhận (một cửa)",
            Op::Forward => "chuyển bước (chuyên viên)",
        }
    }
}

/// Out of 100: what a day at a commune looks like — mostly reading.
const WEIGHTS: [(Op, u32); 6] =
    [(Op::Search, 30), (Op::Track, 20), (Op::View, 10), (Op::Dashboard, 10), (Op::Submit, 15), (Op::Receive, 15)];

/// What the server acknowledged, kept for the crash checks.
#[derive(Debug, Default)]
pub struct Journal {
    /// (Idempotency-Key, dossier code, file number) of every submission answered 201/200.
    pub submitted: Vec<(String, String, u64)>,
    /// (dossier code, action) of every action answered 200.
    pub actions: Vec<(String, &'static str)>,
    /// Submissions whose answer never came (the server died): retried with the same key.
    pub unanswered: Vec<(String, u64)>,
    /// Retries answered; of those, answered 200 (the server had stored the dossier before
    /// it died, and gave back that one rather than a second) and refused.
    pub retried: u64,
    pub replayed: u64,
    pub refused_retries: u64,
}

pub struct Mix {
    client: reqwest::Client,
    url: String,
    citizen: String,
    desk: String,
    specialist: String,
    leader: String,
    run: String,
    next: AtomicU64,
    to_receive: Mutex<VecDeque<String>>,
    to_forward: Mutex<VecDeque<String>>,
    known: Mutex<Vec<String>>,
    pub journal: Mutex<Journal>,
}

/// A run's name: eight random hex digits, so two runs' files differ.
pub(crate) fn new_run_id() -> Result<String, BenchError> {
    let mut raw = [0u8; 4];
    getrandom::fill(&mut raw).map_err(|e| BenchError::Failed(e.to_string()))?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// The file of submission `n`: its content names the run and the number, so a restored or
/// recovered file can be told from another.
pub fn file_of(run: &str, n: u64) -> Vec<u8> {
    let mut v = crate::common::SMALL_PDF.to_vec();
    v.extend_from_slice(format!("% motcua {run} #{n}\n").as_bytes());
    v
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Mix {
    pub async fn new(url: &str, password: &str, concurrency: usize) -> Result<Self, BenchError> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency * 2)
            .timeout(Duration::from_secs(30))
            .build()?;
        let url = url.trim_end_matches('/').to_owned();
        Ok(Self {
            citizen: login(&client, &url, "congdan", password).await?,
            desk: login(&client, &url, "halong.motcua", password).await?,
            specialist: login(&client, &url, "halong.chuyenvien", password).await?,
            leader: login(&client, &url, "halong.lanhdao", password).await?,
            client,
            url,
            run: new_run_id()?,
            next: AtomicU64::new(0),
            to_receive: Mutex::default(),
            to_forward: Mutex::default(),
            known: Mutex::default(),
            journal: Mutex::default(),
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run
    }

    async fn submit(&self, key: &str, n: u64) -> Result<Option<(String, bool)>, reqwest::Error> {
        let form = reqwest::multipart::Form::new()
            .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
            .part("component-0", reqwest::multipart::Part::bytes(file_of(&self.run, n)).file_name("to-khai.pdf"));
        let r = self
            .client
            .post(format!("{}/api/v1/dossiers", self.url))
            .bearer_auth(&self.citizen)
            .header("Idempotency-Key", key)
            .multipart(form)
            .send()
            .await?;
        if !r.status().is_success() {
            return Ok(None);
        }
        let replay = r.status() == reqwest::StatusCode::OK;
        let v: Value = r.json().await?;
        Ok(v["code"].as_str().map(|c| (c.to_owned(), replay)))
    }

    /// One submission: a new one, or one whose answer was lost, again with the same key.
    async fn one_submission(&self) -> bool {
        let retry = lock(&self.journal).unanswered.pop();
        let retrying = retry.is_some();
        let (key, n) = retry.unwrap_or_else(|| {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            (format!("{}-{n}", self.run), n)
        });
        match self.submit(&key, n).await {
            Ok(Some((code, replay))) => {
                if retrying {
                    let mut j = lock(&self.journal);
                    j.retried += 1;
                    j.replayed += u64::from(replay);
                }
                lock(&self.to_receive).push_back(code.clone());
                let mut known = lock(&self.known);
                if known.len() < 10_000 {
                    known.push(code.clone());
                }
                drop(known);
                lock(&self.journal).submitted.push((key, code, n));
                true
            }
            // Refused: not acknowledged, nothing to keep (but a refused retry is a finding).
            // No answer: maybe stored, retry.
            Ok(None) => {
                if retrying {
                    lock(&self.journal).refused_retries += 1;
                }
                false
            }
            Err(_) => {
                lock(&self.journal).unanswered.push((key, n));
                false
            }
        }
    }

    async fn action(&self, code: &str, token: &str, action: &'static str) -> bool {
        let r = self
            .client
            .post(format!("{}/api/v1/dossiers/{code}/actions", self.url))
            .bearer_auth(token)
            .json(&json!({"action": action}))
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {
                lock(&self.journal).actions.push((code.to_owned(), action));
                true
            }
            _ => false,
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> bool {
        let mut req = self.client.get(format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match req.send().await {
            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
            Err(_) => false,
        }
    }

    fn some_code(&self, pick: u64) -> Option<String> {
        let known = lock(&self.known);
        (!known.is_empty()).then(|| known[(pick as usize) % known.len()].clone())
    }

    /// One operation chosen by `roll` (0–99); which it was, and whether it succeeded.
    async fn one(&self, roll: u32, pick: u64) -> (Op, bool) {
        let mut acc = 0;
        let mut op = Op::Search;
        for (o, w) in WEIGHTS {
            acc += w;
            if roll < acc {
                op = o;
                break;
            }
        }
        match op {
            Op::Search => {
                let q = SEARCH_QUERIES[(pick as usize) % SEARCH_QUERIES.len()].replace(' ', "+");
                (op, self.get(&format!("/api/v1/procedures?q={q}&limit=10"), None).await)
            }
            Op::Track | Op::View => match self.some_code(pick) {
                Some(code) if op == Op::Track => (op, self.get(&format!("/api/v1/track/{code}"), None).await),
                Some(code) => (op, self.get(&format!("/api/v1/dossiers/{code}"), Some(&self.specialist)).await),
                None => (Op::Submit, self.one_submission().await),
            },
            Op::Dashboard => (op, self.get("/api/v1/stats/summary", Some(&self.leader)).await),
            Op::Submit => (op, self.one_submission().await),
            Op::Receive | Op::Forward => {
                // Officers work the oldest first: receive at the desk, then forward.
                let forward = if pick.is_multiple_of(2) { lock(&self.to_forward).pop_front() } else { None };
                if let Some(code) = forward {
                    return (Op::Forward, self.action(&code, &self.specialist, "forward").await);
                }
                let receive = lock(&self.to_receive).pop_front();
                match receive {
                    Some(code) => {
                        let ok = self.action(&code, &self.desk, "receive").await;
                        if ok {
                            lock(&self.to_forward).push_back(code);
                        }
                        (Op::Receive, ok)
                    }
                    None => (Op::Submit, self.one_submission().await),
                }
            }
        }
    }

    /// Runs `workers` loops until `stop`; the latencies of every operation.
    pub(crate) async fn run(self: &Arc<Self>, workers: usize, stop: Arc<AtomicBool>) -> BTreeMap<Op, Phase> {
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..workers {
            let (mix, stop) = (self.clone(), stop.clone());
            tasks.spawn(async move {
                let mut phases: BTreeMap<Op, Phase> = BTreeMap::new();
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ ((w as u64 + 1) << 32);
                while !stop.load(Ordering::Relaxed) {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let t = Instant::now();
                    let (op, ok) = mix.one((rng % 100) as u32, rng >> 8).await;
                    let p = phases.entry(op).or_default();
                    if ok {
                        p.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                    } else {
                        p.errors += 1;
                        // A dead server refuses at once: do not spin.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                phases
            });
        }
        let mut all: BTreeMap<Op, Phase> = BTreeMap::new();
        for phases in tasks.join_all().await {
            for (op, p) in phases {
                let e = all.entry(op).or_default();
                e.latencies_ms.extend(p.latencies_ms);
                e.errors += p.errors;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        for p in all.values_mut() {
            p.seconds = seconds;
        }
        all
    }

    /// Submissions left without an answer, tried again (same key) until answered.
    pub async fn settle(&self, deadline: Instant) -> usize {
        loop {
            let left = lock(&self.journal).unanswered.len();
            if left == 0 || Instant::now() > deadline {
                return left;
            }
            if !self.one_submission().await {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// The mix's table: one line per operation, then the total.
pub(crate) fn report(phases: &BTreeMap<Op, Phase>) -> (Vec<String>, f64, f64) {
    let mut out = Vec::new();
    let (mut total, mut writes) = (0.0, 0.0);
    for (op, p) in phases {
        out.push(p.line(&format!("  {}", op.label())));
        total += p.rate();
        if matches!(op, Op::Submit | Op::Receive | Op::Forward) {
            writes += p.rate();
        }
    }
    (out, total, writes)
}

pub struct CrashArgs {
    pub exe: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub kills: usize,
    pub concurrency: usize,
    pub min_gap: Duration,
    pub max_gap: Duration,
    pub password: String,
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &CrashArgs, listen: &str) -> Result<Child, BenchError> {
    let log = args.data_dir.join("bench-crash-server.log");
    std::fs::create_dir_all(&args.data_dir).map_err(|e| BenchError::Failed(e.to_string()))?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(|e| BenchError::Failed(format!("{}: {e}", log.display())))?;
    let mut cmd = std::process::Command::new(&args.exe);
    cmd.arg("--data-dir").arg(&args.data_dir);
    if let Some(url) = &args.database_url {
        cmd.arg("--database-url").arg(url);
    }
    // The mix runs from one address: the per-address quotas would refuse most of it.
    cmd.args(["serve", "--demo", "--no-rate-limits", "--listen", listen])
        .env("MOTCUA_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log);
    cmd.spawn().map(Child).map_err(|e| BenchError::Failed(format!("không chạy được máy chủ: {e}")))
}

async fn wait_healthy(client: &reqwest::Client, url: &str) -> Result<Duration, BenchError> {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(120) {
        if let Ok(r) = client.get(format!("{url}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(BenchError::Failed("máy chủ không lên lại sau 120 s".into()))
}

/// `motcua bench-crash`: the report, or an error holding it when a check failed.
pub async fn crash(args: CrashArgs) -> Result<String, BenchError> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| BenchError::Failed(e.to_string()))?
        .port();
    let listen = format!("127.0.0.1:{port}");
    let url = format!("http://{listen}");
    let client = reqwest::Client::new();
    let server = start(&args, &listen)?;
    wait_healthy(&client, &url).await?;
    let mix = Arc::new(Mix::new(&url, &args.password, args.concurrency).await?);
    // Counted by walking the whole list: a list's `total` stops at 1,000.
    let before = listed_codes(&client, &url, &mix.citizen).await?.len();

    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (mix, stop, workers) = (mix.clone(), stop.clone(), args.concurrency);
        tokio::spawn(async move { mix.run(workers, stop).await })
    };
    let started = Instant::now();
    let mut restarts = Vec::new();
    let server = kill_and_restart(&args, server, (&client, &url, &listen), u64::from(port), &mut restarts).await?;
    tokio::time::sleep(args.min_gap).await;
    stop.store(true, Ordering::Relaxed);
    let phases = load.await.map_err(|e| BenchError::Failed(e.to_string()))?;
    let loaded = started.elapsed();
    let unsettled = mix.settle(Instant::now() + Duration::from_secs(60)).await;

    // The checks, over HTTP on the last server.
    let journal = std::mem::take(&mut *lock(&mix.journal));
    let mut failures = Vec::new();
    if unsettled > 0 {
        failures.push(format!("{unsettled} lần nộp không nhận được trả lời sau 60 s"));
    }
    if journal.refused_retries > 0 {
        failures.push(format!("{} lần nộp lại cùng khóa bị từ chối", journal.refused_retries));
    }
    let (lost_dossiers, bad_files) = check_files(&client, &url, &mix, &journal.submitted).await?;
    if lost_dossiers > 0 {
        failures.push(format!("{lost_dossiers} hồ sơ đã xác nhận bị mất"));
    }
    if bad_files > 0 {
        failures.push(format!("{bad_files} tệp đính kèm hỏng hoặc thiếu"));
    }
    let keys: HashSet<&str> = journal.submitted.iter().map(|(k, _, _)| k.as_str()).collect();
    let codes: HashSet<&str> = journal.submitted.iter().map(|(_, c, _)| c.as_str()).collect();
    if codes.len() != keys.len() {
        failures.push(format!("{} khóa chống trùng cho {} mã hồ sơ", keys.len(), codes.len()));
    }
    // Every code once in the whole list.
    let listed = listed_codes(&client, &url, &mix.citizen).await?;
    let created = listed.len().saturating_sub(before);
    if created != keys.len() {
        failures
            .push(format!("{created} hồ sơ mới trong CSDL cho {} lần nộp đã xác nhận (trùng hoặc mất)", keys.len()));
    }
    let distinct: HashSet<&String> = listed.iter().collect();
    if distinct.len() != listed.len() {
        failures.push(format!("{} mã hồ sơ trùng", listed.len() - distinct.len()));
    }
    let mut by_code: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (code, action) in &journal.actions {
        by_code.entry(code).or_default().push(action);
    }
    let lost_actions = lost_actions(&client, &url, &mix.citizen, &by_code).await?;
    if lost_actions > 0 {
        failures.push(format!("{lost_actions} thao tác đã xác nhận bị mất hoặc lặp"));
    }
    drop(server);
    let audit_line = audit_verify(&args, &mut failures);

    let engine = match &args.database_url {
        Some(u) if !u.starts_with("sqlite:") => "PostgreSQL",
        _ => "SQLite",
    };
    restarts.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut out = vec![
        format!(
            "motcua bench-crash — {engine}, {} lần kill -9 trong {:.1} s tải hỗn hợp ({} luồng)",
            args.kills,
            loaded.as_secs_f64(),
            args.concurrency
        ),
        format!(
            "khởi động lại: trung vị {:.0} ms, lâu nhất {:.0} ms",
            restarts.get(restarts.len() / 2).copied().map(ms).unwrap_or(0.0),
            restarts.last().copied().map(ms).unwrap_or(0.0)
        ),
    ];
    let (lines, _, _) = report(&phases);
    out.push("thao tác trong lúc bị giết (lỗi = yêu cầu gặp máy chủ đang chết):".into());
    out.extend(lines);
    out.push(format!(
        "đã xác nhận: {} hồ sơ ({} mã khác nhau), {} thao tác trên {} hồ sơ; {} mã trong danh sách",
        journal.submitted.len(),
        codes.len(),
        journal.actions.len(),
        by_code.len(),
        listed.len()
    ));
    out.push(format!(
        "nộp lại cùng khóa sau khi mất trả lời: {} lần; {} lần máy chủ đã lưu trước khi chết và trả lại đúng hồ sơ đó",
        journal.retried, journal.replayed
    ));
    out.push(format!("kiểm tra chuỗi băm: {audit_line}"));
    if failures.is_empty() {
        out.push("KẾT QUẢ: không mất, không trùng — mọi hồ sơ, tệp và thao tác đã xác nhận đều còn.".into());
        Ok(out.join("\n"))
    } else {
        out.push(format!("KẾT QUẢ: HỎNG — {}", failures.join("; ")));
        Err(BenchError::Failed(out.join("\n")))
    }
}

/// `args.kills` times, after a random gap: SIGKILL the server (no shutdown, no flush, as a
/// power cut or an OOM kill), start it again and time until it answers. The last server.
async fn kill_and_restart(
    args: &CrashArgs,
    mut server: Child,
    (client, url, listen): (&reqwest::Client, &str, &str),
    seed: u64,
    restarts: &mut Vec<Duration>,
) -> Result<Child, BenchError> {
    let mut rng = seed ^ 0xD1B5_4A32_D192_ED03;
    for _ in 0..args.kills {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let span = args.max_gap.saturating_sub(args.min_gap).as_millis().max(1) as u64;
        tokio::time::sleep(args.min_gap + Duration::from_millis(rng % span)).await;
        let _ = server.0.kill();
        let _ = server.0.wait();
        drop(server);
        server = start(args, listen)?;
        restarts.push(wait_healthy(client, url).await?);
    }
    Ok(server)
}

/// Each acknowledged submission's first file, fetched back: (dossiers missing, files missing
/// or different from what was sent).
async fn check_files(
    client: &reqwest::Client,
    url: &str,
    mix: &Mix,
    submitted: &[(String, String, u64)],
) -> Result<(usize, usize), BenchError> {
    let (mut lost_dossiers, mut bad_files) = (0, 0);
    for (_, code, n) in submitted {
        let r =
            client.get(format!("{url}/api/v1/dossiers/{code}/attachments/1")).bearer_auth(&mix.citizen).send().await?;
        if r.status() == 404 {
            lost_dossiers += 1;
        } else if !r.status().is_success() || r.bytes().await?.as_ref() != file_of(mix.run_id(), *n).as_slice() {
            bad_files += 1;
        }
    }
    Ok((lost_dossiers, bad_files))
}

/// Every dossier code the citizen's list shows, page by page.
async fn listed_codes(client: &reqwest::Client, url: &str, token: &str) -> Result<Vec<String>, BenchError> {
    let mut listed = Vec::new();
    let mut after = String::new();
    loop {
        let r = client.get(format!("{url}/api/v1/dossiers?limit=500&after={after}")).bearer_auth(token).send().await?;
        let v: Value = r.json().await?;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        listed.extend(items.into_iter().filter_map(|d| d["code"].as_str().map(str::to_owned)));
        match v["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => return Ok(listed),
        }
    }
}

/// Acknowledged actions not in their dossier's history exactly once.
async fn lost_actions(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    by_code: &BTreeMap<&str, Vec<&str>>,
) -> Result<usize, BenchError> {
    let mut lost = 0;
    for (code, actions) in by_code {
        let r = client.get(format!("{url}/api/v1/dossiers/{code}/events")).bearer_auth(token).send().await?;
        let events: Vec<Value> = r.json().await.unwrap_or_default();
        for a in actions {
            if events.iter().filter(|e| e["action"] == *a).count() != 1 {
                lost += 1;
            }
        }
    }
    Ok(lost)
}

/// `motcua audit verify` on the data the killed servers left: its line, or a failure noted.
fn audit_verify(args: &CrashArgs, failures: &mut Vec<String>) -> String {
    let mut audit = std::process::Command::new(&args.exe);
    audit.arg("--data-dir").arg(&args.data_dir);
    if let Some(u) = &args.database_url {
        audit.arg("--database-url").arg(u);
    }
    match audit.args(["audit", "verify"]).env("MOTCUA_LOG", "warn").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        Ok(o) => {
            failures.push(format!("audit verify: {}", String::from_utf8_lossy(&o.stderr).trim()));
            "hỏng".into()
        }
        Err(e) => {
            failures.push(format!("audit verify không chạy được: {e}"));
            "không chạy".into()
        }
    }
}
