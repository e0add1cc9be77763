//! `motcua bench`: drives a running server over HTTP — submissions with one small attachment,
//! then officer actions — and prints throughput and latency percentiles, beside the database
//! engine's own insert rate measured in the same run.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub use crate::common::{BenchArgs, BenchError};
use crate::common::{Phase, login};

pub async fn run(args: BenchArgs) -> Result<String, BenchError> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;
    let url = args.url.trim_end_matches('/').to_owned();
    if args.reads_only {
        let mut out = vec![format!("motcua bench --reads-only — {url}")];
        crate::reads::run(&client, &url, &args, &mut out).await?;
        return Ok(out.join("\n"));
    }
    let citizen = login(&client, &url, "congdan", &args.password).await?;
    let desk = login(&client, &url, "halong.motcua", &args.password).await?;
    let specialist = login(&client, &url, "halong.chuyenvien", &args.password).await?;
    let mut out = vec![format!(
        "motcua bench — {url}, {} luồng, {:.0} s mỗi pha (dữ liệu mẫu: phường Hạ Long)",
        args.concurrency,
        args.duration.as_secs_f64()
    )];

    let (submit, codes) = submissions(&client, &url, &citizen, &args).await?;
    out.push(submit.line("nộp hồ sơ (kèm 1 tệp PDF)"));
    let actions = actions(&client, &url, &codes, &desk, &specialist, &args).await;
    out.push(actions.line("thao tác (tiếp nhận, chuyển bước)"));
    if args.page_requests > 0 {
        pages(&client, &url, &args, &codes, (&citizen, &desk, &specialist), &mut out).await?;
    }
    let (mixed, mixed_writes) = mix(&url, &args, &mut out).await?;

    // Baseline: the same client against the smallest possible HTTP server on this machine.
    let hello = hello_world(&client, args.concurrency, args.duration).await?;
    out.push(hello.line("chuẩn: HTTP «hello world» (axum)"));
    out.push(format!("tỷ lệ so với hello world: tải hỗn hợp {:.1} %", 100.0 * mixed / hello.rate().max(1e-9)));

    // Baseline: the engine's raw single-row insert rate, same machine, same durability.
    if let Some(db) = &args.database_url {
        let b = crate::baseline::insert_baseline(db, args.concurrency, args.duration).await?;
        let engine = if db.starts_with("sqlite:") { "SQLite" } else { "PostgreSQL" };
        out.push(format!(
            "{:<34} {:>7} dòng     {:>9.1}/s",
            format!("chuẩn: {engine} ghi thô, 1 dòng/giao dịch"),
            b.inserts,
            b.per_second()
        ));
        let ratio = |p: &Phase| 100.0 * p.rate() / b.per_second().max(1e-9);
        out.push(format!(
            "tỷ lệ so với ghi thô: nộp hồ sơ {:.1} %, thao tác {:.1} %, ghi trong tải hỗn hợp {:.1} %",
            ratio(&submit),
            ratio(&actions),
            100.0 * mixed_writes / b.per_second().max(1e-9)
        ));
        if !db.starts_with("sqlite:") {
            let (db, password) = (db.clone(), args.password.clone());
            let lines = tokio::task::spawn_blocking(move || crate::statements::count(&db, &password, 5))
                .await
                .map_err(|e| BenchError::Failed(e.to_string()))??;
            out.extend(lines);
        }
    }
    Ok(out.join("\n"))
}

/// Phase 1: submissions, each with one small PDF of its own (as every citizen's scan differs,
/// so the server stores and flushes a new file each time), from `args.concurrency` tasks;
/// the phase and the codes of the dossiers it created.
async fn submissions(
    client: &reqwest::Client,
    url: &str,
    citizen: &str,
    args: &BenchArgs,
) -> Result<(Phase, Vec<String>), BenchError> {
    let started = Instant::now();
    let run = crate::load::new_run_id()?;
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (client, url, token, duration) = (client.clone(), url.to_owned(), citizen.to_owned(), args.duration);
        let (run, sent) = (run.clone(), sent.clone());
        tasks.spawn(async move {
            let mut phase = Phase::default();
            let mut codes = Vec::new();
            while started.elapsed() < duration {
                let n = sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let form = reqwest::multipart::Form::new()
                    .text("dossier", json!({"procedure": "1.004873", "org": "000.00.37.H22"}).to_string())
                    .part(
                        "component-0",
                        reqwest::multipart::Part::bytes(crate::load::file_of(&run, n)).file_name("to-khai.pdf"),
                    );
                let t = Instant::now();
                let r = client.post(format!("{url}/api/v1/dossiers")).bearer_auth(&token).multipart(form).send().await;
                match r {
                    Ok(r) if r.status().as_u16() == 201 => {
                        phase.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                        if let Ok(v) = r.json::<Value>().await
                            && let Some(c) = v["code"].as_str()
                        {
                            codes.push(c.to_owned());
                        }
                    }
                    _ => phase.errors += 1,
                }
            }
            (phase, codes)
        });
    }
    let mut submit = Phase::default();
    let mut codes = Vec::new();
    for (p, c) in tasks.join_all().await {
        submit.latencies_ms.extend(p.latencies_ms);
        submit.errors += p.errors;
        codes.extend(c);
    }
    submit.seconds = started.elapsed().as_secs_f64();
    Ok((submit, codes))
}

/// Phase 2: actions on those dossiers — received at the desk, then forwarded from appraisal.
async fn actions(
    client: &reqwest::Client,
    url: &str,
    codes: &[String],
    desk: &str,
    specialist: &str,
    args: &BenchArgs,
) -> Phase {
    let started = Instant::now();
    let chunks: Vec<Vec<String>> =
        (0..args.concurrency).map(|i| codes.iter().skip(i).step_by(args.concurrency).cloned().collect()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in chunks {
        let (client, url, desk, specialist, duration) =
            (client.clone(), url.to_owned(), desk.to_owned(), specialist.to_owned(), args.duration);
        tasks.spawn(async move {
            let mut phase = Phase::default();
            for code in chunk {
                for (token, action) in [(&desk, "receive"), (&specialist, "forward")] {
                    if started.elapsed() >= duration {
                        return phase;
                    }
                    let t = Instant::now();
                    let r = client
                        .post(format!("{url}/api/v1/dossiers/{code}/actions"))
                        .bearer_auth(token)
                        .json(&json!({"action": action}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => phase.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0),
                        _ => phase.errors += 1,
                    }
                }
            }
            phase
        });
    }
    let mut actions = Phase::default();
    for p in tasks.join_all().await {
        actions.latencies_ms.extend(p.latencies_ms);
        actions.errors += p.errors;
    }
    actions.seconds = started.elapsed().as_secs_f64();

    actions
}

/// Phase 3: the web pages, one at a time (each page's own time, not contention), with the
/// dossiers above in the lists.
async fn pages(
    client: &reqwest::Client,
    url: &str,
    args: &BenchArgs,
    codes: &[String],
    (citizen, desk, specialist): (&str, &str, &str),
    out: &mut Vec<String>,
) -> Result<(), BenchError> {
    let admin = login(client, url, "tinh.quantri", &args.password).await?;
    let code = codes.first().cloned().unwrap_or_default();
    let pages: Vec<(&str, String, &str)> = vec![
        ("trang chủ", "/".into(), ""),
        ("tìm «dang ky khai sinh»", "/?q=dang+ky+khai+sinh".into(), ""),
        ("trang thủ tục", "/thu-tuc/1.001193".into(), ""),
        ("trợ lý ảo: một câu hỏi", chat(&[], "làm lại bằng lái hết bao nhiêu tiền")?, ""),
        (
            "trợ lý ảo: 7 lượt, đang khai tờ khai",
            chat(
                &[
                    "tôi ở phường Hạ Long",
                    "đăng ký khai sinh cho con",
                    "còn lệ phí thì sao?",
                    "nộp luôn",
                    "số 5 đường Trần Hưng Đạo",
                    "mẹ",
                ],
                "Nguyễn Văn Bình",
            )?,
            "",
        ),
        ("tra cứu hồ sơ", format!("/tra-cuu?ma={code}"), ""),
        ("hồ sơ của tôi (công dân)", "/ho-so".into(), citizen),
        ("trang hồ sơ (công dân)", format!("/ho-so/{code}"), citizen),
        ("mẫu nộp hồ sơ", "/nop-ho-so/1.001193".into(), citizen),
        ("hộp thư một cửa", "/ho-so".into(), desk),
        ("hộp thư chuyên viên", "/ho-so".into(), specialist),
        ("hộp thư, lọc quá hạn", "/ho-so?han=qua-han".into(), specialist),
        ("trang hồ sơ (cán bộ)", format!("/ho-so/{code}"), specialist),
        ("tiếp nhận tại quầy", "/quay/tiep-nhan".into(), desk),
        ("quản trị", "/quan-tri".into(), admin.as_str()),
        ("quản trị thủ tục", "/quan-tri/thu-tuc".into(), admin.as_str()),
        ("quản trị ngày nghỉ", "/quan-tri/ngay-nghi".into(), admin.as_str()),
    ];
    out.push(format!(
        "trang web: {} lần mỗi trang, tuần tự (thời gian phía máy khách, gồm cả mạng nội bộ)",
        args.page_requests
    ));
    let mut worst: f64 = 0.0;
    for (name, path, token) in pages {
        let phase = crate::common::get_times(client, &format!("{url}{path}"), token, args.page_requests).await;
        worst = worst.max(phase.percentile(99.0));
        out.push(phase.line(&format!("  {name}")));
    }
    out.push(format!("trang chậm nhất: p99 {worst:.1} ms (mục tiêu < 50 ms)"));
    Ok(())
}

/// The assistant page after `before` (one per line, as its form carries them) and `question`.
fn chat(before: &[&str], question: &str) -> Result<String, BenchError> {
    let history = before.join("\n");
    let mut params = vec![("hoi", question)];
    if !before.is_empty() {
        params.push(("truoc", history.as_str()));
    }
    let url =
        reqwest::Url::parse_with_params("http://x/tro-ly", &params).map_err(|e| BenchError::Catalog(e.to_string()))?;
    Ok(format!("{}?{}", url.path(), url.query().unwrap_or_default()))
}

/// Phase 4: the realistic mix — everyone at once, for the same time; requests and writes a
/// second.
async fn mix(url: &str, args: &BenchArgs, out: &mut Vec<String>) -> Result<(f64, f64), BenchError> {
    let mix = std::sync::Arc::new(crate::load::Mix::new(url, &args.password, args.concurrency).await?);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = {
        let (mix, stop, workers) = (mix.clone(), stop.clone(), args.concurrency);
        tokio::spawn(async move { mix.run(workers, stop).await })
    };
    tokio::time::sleep(args.duration).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let phases = running.await.map_err(|e| BenchError::Failed(e.to_string()))?;
    let (lines, mixed, mixed_writes) = crate::load::report(&phases);
    out.push(format!(
        "tải hỗn hợp, {} luồng cùng lúc (tìm 30 %, tra cứu 20 %, xem 10 %, điều hành 10 %, nộp 15 %, xử lý 15 %):",
        args.concurrency
    ));
    out.extend(lines);
    out.push(format!("  tổng {mixed:.1} yêu cầu/s, trong đó ghi {mixed_writes:.1}/s"));

    Ok((mixed, mixed_writes))
}

/// Requests per second a bare axum server answers `ok` on this machine, from the same client
/// with the same concurrency: the ceiling any HTTP endpoint here could reach.
async fn hello_world(client: &reqwest::Client, concurrency: usize, duration: Duration) -> Result<Phase, BenchError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| BenchError::Failed(e.to_string()))?;
    let addr = listener.local_addr().map_err(|e| BenchError::Failed(e.to_string()))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url) = (client.clone(), format!("http://{addr}/"));
        tasks.spawn(async move {
            let mut p = Phase::default();
            while started.elapsed() < duration {
                p.time(client.get(&url)).await;
            }
            p
        });
    }
    let mut all = Phase::default();
    for p in tasks.join_all().await {
        all.latencies_ms.extend(p.latencies_ms);
        all.errors += p.errors;
    }
    all.seconds = started.elapsed().as_secs_f64();
    let _ = tx.send(());
    Ok(all)
}

pub struct ExchangeBenchArgs {
    pub documents: usize,
    pub attachment_bytes: usize,
    pub concurrency: usize,
}

/// One server of the exchange bench: demo data, keys, a random port, its own directory.
struct Node {
    base: String,
    store: std::sync::Arc<dyn motcua_store::Store>,
    dir: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start_node(agency: &str) -> Result<Node, BenchError> {
    let mut r = [0u8; 6];
    let _ = getrandom::fill(&mut r);
    let tag: String = r.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("motcua-bench-{agency}-{tag}"));
    std::fs::create_dir_all(&dir).map_err(|e| BenchError::Catalog(e.to_string()))?;
    let url = motcua_store::sqlite_url(&dir.join("motcua.db"));
    let store = motcua_store::connect(&url, &Default::default()).await?;
    motcua::demo::load(store.as_ref(), &motcua::demo::DemoSettings { agency_code: agency.to_owned() })
        .await
        .map_err(|e| BenchError::Catalog(e.to_string()))?;
    let passphrase =
        motcua::documents::keys::ensure_passphrase(&dir).map_err(|e| BenchError::Catalog(e.to_string()))?;
    motcua::documents::pki::ensure(store.as_ref(), &passphrase)
        .await
        .map_err(|e| BenchError::Catalog(e.to_string()))?;
    let listener =
        tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| BenchError::Catalog(e.to_string()))?;
    let addr = listener.local_addr().map_err(|e| BenchError::Catalog(e.to_string()))?;
    let settings = motcua::app::ServerSettings {
        data_dir: dir.clone(),
        key_passphrase: Some(passphrase),
        body_limit: 16 * 1024 * 1024,
        ..Default::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(motcua::server::serve(listener, store.clone(), settings, async {
        let _ = rx.await;
    }));
    Ok(Node { base: format!("http://{addr}"), store, dir, stop: Some(tx) })
}

async fn introduce(a: &Node, b: &Node, name: &str) -> Result<(), BenchError> {
    let ca = motcua::documents::pki::ca_pem(b.store.as_ref()).await.map_err(|e| BenchError::Catalog(e.to_string()))?;
    let orgs = b
        .store
        .list_organisations(&Default::default(), motcua_store::Page::all())
        .await?
        .items
        .into_iter()
        .map(|o| (o.code, o.name.as_str().to_owned()))
        .collect();
    motcua::documents::pki::add_peer(a.store.as_ref(), name, &b.base, ca.as_bytes(), orgs)
        .await
        .map_err(|e| BenchError::Catalog(e.to_string()))?;
    Ok(())
}

/// `motcua bench-exchange`: two servers on loopback (provinces H22 and H26, SQLite), each
/// with its own CA and the other as partner. A clerk of the first sends documents with one
/// attachment to a department of the second through the API; the figure is documents per
/// second from the first send until every document is registered at the receiver
/// (signature and chain verified) and its signed "01 arrived" receipt is back at the
/// sender.
pub async fn exchange(args: ExchangeBenchArgs) -> Result<String, BenchError> {
    let a = start_node("H22").await?;
    let b = start_node("H26").await?;
    introduce(&a, &b, "hungyen").await?;
    introduce(&b, &a, "quangninh").await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;
    let token = login(&client, &a.base, "stp.vanthu", motcua::demo::DEMO_PASSWORD).await?;
    let me: Value = client.get(format!("{}/api/v1/me", a.base)).bearer_auth(&token).send().await?.json().await?;
    let from = me["roles"][0]["org"].as_str().unwrap_or_default().to_owned();
    let to = from.replace("H22", "H26");
    // An incompressible attachment, as a scanned PDF would be.
    let mut attachment = b"%PDF-1.4\n%".to_vec();
    let mut noise = vec![0u8; args.attachment_bytes];
    let _ = getrandom::fill(&mut noise);
    attachment.extend(noise);
    attachment.extend_from_slice(b"\n%%EOF\n");

    let started = Instant::now();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (client, base, token, from, to, attachment, next) =
            (client.clone(), a.base.clone(), token.clone(), from.clone(), to.clone(), attachment.clone(), next.clone());
        let total = args.documents;
        tasks.spawn(async move {
            let mut phase = Phase::default();
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let doc = json!({
                    "from": from, "to": [to], "notation": "STP-VP", "document_type": "Công văn",
                    "subject": format!("V/v phối hợp thực hiện thủ tục liên thông, văn bản thử số {i}"),
                    "content": "Đề nghị quý cơ quan phối hợp.", "signer_name": "Nguyễn Văn A",
                    "signer_position": "Giám đốc", "place": "Quảng Ninh"
                });
                let form = reqwest::multipart::Form::new()
                    .text("document", doc.to_string())
                    .part("file", reqwest::multipart::Part::bytes(attachment.clone()).file_name("cong-van.pdf"));
                let t = Instant::now();
                match client.post(format!("{base}/api/v1/documents")).bearer_auth(&token).multipart(form).send().await {
                    Ok(r) if r.status().as_u16() == 201 => phase.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0),
                    Ok(r) => {
                        phase.errors += 1;
                        let status = r.status();
                        first_error.get_or_insert(format!("HTTP {status}: {}", r.text().await.unwrap_or_default()));
                    }
                    Err(e) => {
                        phase.errors += 1;
                        first_error.get_or_insert(e.to_string());
                    }
                }
            }
            (phase, first_error)
        });
    }
    let mut send = Phase::default();
    let mut first_error = None;
    for (p, e) in tasks.join_all().await {
        send.latencies_ms.extend(p.latencies_ms);
        send.errors += p.errors;
        first_error = first_error.or(e);
    }
    if let Some(e) = &first_error {
        tracing::warn!(error = %e, "bench-exchange: a send failed");
    }
    send.seconds = started.elapsed().as_secs_f64();
    let sent = send.latencies_ms.len();

    let (arrived, receipted) = wait_delivered(&a, &b, sent).await?;
    let total = started.elapsed().as_secs_f64();
    let quarantined = b.store.quarantined(None, motcua_store::Page::default()).await?.total
        + a.store.quarantined(None, motcua_store::Page::default()).await?.total;
    Ok([
        format!(
            "motcua bench-exchange — 2 máy chủ (SQLite) trên 127.0.0.1, {} văn bản, mỗi văn bản 1 tệp {} KB, {} luồng gửi",
            args.documents,
            args.attachment_bytes / 1024,
            args.concurrency
        ),
        send.line("gửi (ký số, vào sổ đi, API)"),
        format!(
            "đến nơi (xác minh chữ ký, vào sổ đến) và có báo nhận 01 ký số trở về: {arrived}/{sent} đến, {receipted}/{sent} báo nhận trong {total:.2} s = {:.1} văn bản/s",
            receipted.min(arrived) as f64 / total.max(1e-9)
        ),
        format!("gói tin bị cách ly: {quarantined}"),
    ]
    .join("\n"))
}

/// Waits until `sent` documents arrived at `b` and each one's receipt came back to `a`, or
/// until nothing moved for 30 s: (arrived, receipted).
async fn wait_delivered(a: &Node, b: &Node, sent: usize) -> Result<(usize, usize), BenchError> {
    let incoming = motcua_store::documents::DocumentFilter {
        direction: Some(motcua_store::documents::Direction::Incoming),
        ..Default::default()
    };
    let outgoing = motcua_store::documents::DocumentFilter {
        direction: Some(motcua_store::documents::Direction::Outgoing),
        ..Default::default()
    };
    let mut last_progress = Instant::now();
    let mut seen = (0, 0);
    // The documents whose receipt has not been seen yet: each is asked about until its
    // receipt is there, not on every round (a round reading every document's statuses
    // would compete with the servers it measures).
    let mut waiting: Option<Vec<String>> = None;
    let mut receipted = 0;
    loop {
        let arrived =
            b.store.list_documents(&incoming, motcua_store::Page::new(Some(0), Some(1))).await?.total as usize;
        if arrived >= sent {
            if waiting.is_none() {
                let all = a.store.list_documents(&outgoing, motcua_store::Page::all()).await?.items;
                waiting = Some(all.into_iter().map(|d| d.document_id.clone()).collect());
            }
            let mut still = Vec::new();
            for id in waiting.take().unwrap_or_default() {
                if a.store.statuses(&id, None).await?.is_empty() {
                    still.push(id);
                } else {
                    receipted += 1;
                }
            }
            waiting = Some(still);
        }
        if arrived >= sent && receipted >= sent {
            return Ok((arrived, receipted));
        }
        if (arrived, receipted) != seen {
            seen = (arrived, receipted);
            last_progress = Instant::now();
        } else if last_progress.elapsed() > Duration::from_secs(30) {
            return Ok((arrived, receipted));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `motcua bench-stats`: the operations centre's queries over the counters that `dossiers`
/// synthetic dossiers leave. The dossiers are lived through the real workflow engine (same
/// generator as `demo --synthetic`), their final states folded into the counters with the
/// same function the store uses on every change, and the counters written in bulk; the
/// dossier rows themselves are not written (their number does not change what a dashboard
/// query reads). Then each dashboard query is timed `rounds` times.
pub async fn stats(database_url: &str, dossiers: u64, rounds: usize, seed: u64) -> Result<String, BenchError> {
    let store = motcua_store::connect(database_url, &motcua_store::ConnectOptions::default()).await?;
    motcua::demo::ensure_workflows(store.as_ref()).await.map_err(|e| BenchError::Catalog(e.to_string()))?;
    if !store.stat_snapshot().await?.days.is_empty() {
        return Err(BenchError::Catalog("CSDL đã có số liệu: hãy dùng một CSDL trống cho phép đo".into()));
    }
    motcua::demo::load(store.as_ref(), &motcua::demo::DemoSettings::default())
        .await
        .map_err(|e| BenchError::Catalog(e.to_string()))?;
    let calendar = motcua::calendar::source::CalendarSource::new(Default::default())
        .current(store.as_ref())
        .await
        .map_err(|e| BenchError::Catalog(e.to_string()))?;
    let now = jiff::Timestamp::now();
    let started = Instant::now();
    let snap = synthetic_counters(&store, &calendar, dossiers, seed, now).await?;
    let generated = started.elapsed();
    let started = Instant::now();
    store.add_stats(&snap).await?;
    let loaded = started.elapsed();

    let stats = motcua::statistics::figures::Stats::new(store.clone(), store.clone(), Default::default());
    let today = motcua::statistics::figures::today();
    let year_ago = today.checked_sub(jiff::Span::new().days(364)).unwrap_or(today);
    let clock = motcua::statistics::figures::clock(&calendar, now);
    let tree = stats.tree().await?;
    let commune = tree
        .orgs
        .iter()
        .find(|o| o.kind == motcua_domain::OrgKind::PeoplesCommittee && o.parent.is_some())
        .map(|o| o.code.clone());
    let field = snap.days.keys().next().map(|(k, _)| k.procedure.clone());
    let field = match field {
        Some(p) => store.procedure(&p).await?.map(|p| p.field.code),
        None => None,
    };
    let scope = |org: Option<motcua_domain::OrgCode>, field: Option<motcua_domain::FieldCode>| {
        motcua::statistics::figures::Scope {
            from: year_ago,
            to: today,
            org,
            procedure: None,
            field,
            level: None,
            channel: None,
        }
    };
    let province = scope(None, None);
    let one_commune = scope(commune, None);
    let one_field = scope(None, field);
    let mut lines = vec![
        format!(
            "motcua bench-stats: {dossiers} hồ sơ mẫu ({} dòng theo ngày, {} theo tháng; không theo thủ tục {} và {}; {} nhóm đang mở), CSDL {:?}",
            snap.days.len(),
            snap.months.len(),
            snap.org_days.len(),
            snap.org_months.len(),
            snap.open.len(),
            store.backend()
        ),
        format!(
            "  sinh hồ sơ qua quy trình: {:.1} s ({:.0} hồ sơ/s); ghi số liệu: {:.1} s",
            generated.as_secs_f64(),
            dossiers as f64 / generated.as_secs_f64().max(1e-9),
            loaded.as_secs_f64()
        ),
        format!("  truy vấn (một năm, {rounds} lần mỗi truy vấn):    p50       max"),
    ];
    macro_rules! time {
        ($label:expr, $e:expr) => {{
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let t = Instant::now();
                let _ = $e.await.map_err(|e| BenchError::Catalog(e.to_string()))?;
                times.push(t.elapsed());
            }
            times.sort();
            lines.push(format!(
                "  {:<42} {:>7.1} ms {:>7.1} ms",
                $label,
                times[times.len() / 2].as_secs_f64() * 1e3,
                times[times.len() - 1].as_secs_f64() * 1e3
            ));
        }};
    }
    time!("tổng hợp toàn tỉnh", stats.summary(&province, &clock));
    time!("tổng hợp một xã", stats.summary(&one_commune, &clock));
    time!("tổng hợp một lĩnh vực", stats.summary(&one_field, &clock));
    time!("theo tháng (biểu đồ)", stats.series(&province, true));
    time!("theo cơ quan", stats.breakdown(&province, motcua::statistics::figures::By::Org, &clock));
    time!("theo thủ tục", stats.breakdown(&province, motcua::statistics::figures::By::Procedure, &clock));
    time!("xếp hạng chỉ số 766", stats.ranking(&province, &clock));
    time!("trung tâm (số trực tiếp)", stats.centres(&province, &clock));
    Ok(lines.join("\n"))
}

/// The statistics counters of `dossiers` synthetic dossiers lived through the workflow over
/// the last year, on two workers (the machine's cores), each with its own generator and seed.
async fn synthetic_counters(
    store: &std::sync::Arc<dyn motcua_store::Store>,
    calendar: &motcua_domain::calendar::WorkCalendar,
    dossiers: u64,
    seed: u64,
    now: jiff::Timestamp,
) -> Result<motcua_store::stats::StatSnapshot, BenchError> {
    use motcua_store::stats::StatSnapshot;
    let bar = motcua::catalog::import::progress(usize::try_from(dossiers).unwrap_or(usize::MAX), "Hồ sơ");
    // Two workers (the machine's cores), each its own generator and seed.
    let workers = 2u64;
    let mut handles = Vec::new();
    for w in 0..workers {
        let mut g = crate::synthetic::Generator::new(
            store,
            calendar.clone(),
            motcua_domain::workflow::SupplementMode::Restart,
            1,
            seed.wrapping_mul(1000).wrapping_add(w),
        )
        .await
        .map_err(|e| BenchError::Catalog(e.to_string()))?;
        g.seal = false;
        let share = dossiers / workers + u64::from(w < dossiers % workers);
        let cal = calendar.clone();
        let bar = bar.clone();
        handles.push(tokio::task::spawn_blocking(move || -> Result<StatSnapshot, String> {
            let mut snap = StatSnapshot::default();
            for i in 0..share {
                let at = crate::synthetic::submission_time(&mut g.rng, &cal, now, 365);
                let d = g.dossier(at, now).map_err(|e| e.to_string())?;
                let c = motcua_domain::stats::contribution(&d.dossier);
                for (day, counts) in &c.days {
                    snap.add(&c.key, *day, counts);
                }
                if let Some(due) = c.open_due {
                    snap.add_open(&c.key, due, 1);
                }
                if let Some((key, day, counts)) =
                    d.rating.as_ref().and_then(|r| motcua_domain::stats::rating_contribution(&d.dossier, r.stars.get()))
                {
                    snap.add(&key, day, &counts);
                }
                if i % 10_000 == 0 {
                    bar.inc(10_000.min(share - i));
                }
            }
            Ok(snap)
        }));
    }
    let mut snap = StatSnapshot::default();
    for h in handles {
        let part = h.await.map_err(|e| BenchError::Catalog(e.to_string()))?.map_err(BenchError::Catalog)?;
        snap.merge(part);
    }
    bar.finish_and_clear();
    Ok(snap)
}
