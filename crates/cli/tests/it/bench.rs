//! The bench commands run end to end (not measurements: figures vary with the machine), and
//! what `motcua bench` counts of each write request's statements holds.

use motcua_store::testing::{Engine, TestDb};

use crate::process::{motcua, run, start_server, text};

/// Not a measurement (figures vary with the machine): the bench command runs end to end
/// against a demo server and prints every figure it promises.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_runs_against_a_demo_server() {
    let dir = tempfile::tempdir().unwrap();
    // As the README says to run it: the mix comes from one address.
    let (server, base, _) = start_server(dir.path(), &["--demo", "--no-rate-limits"]);
    let out = tokio::task::spawn_blocking({
        let d = dir.path().to_path_buf();
        move || {
            let args = ["bench", "--url", &base, "--seconds", "1", "--concurrency", "2", "--page-requests", "3"];
            run(motcua(&d).args(args), None)
        }
    })
    .await
    .unwrap();
    let text = text(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for line in [
        "nộp hồ sơ (kèm 1 tệp PDF)",
        "thao tác (tiếp nhận, chuyển bước)",
        "chuẩn: SQLite ghi thô",
        "tỷ lệ so với ghi thô",
        "tải hỗn hợp, 2 luồng",
        "tìm thủ tục (công dân)",
        "nộp hồ sơ kèm tệp",
        "bảng điều hành (lãnh đạo)",
        "p95",
        "chuẩn: HTTP «hello world» (axum)",
        "tỷ lệ so với hello world: tải hỗn hợp",
        "ghi trong tải hỗn hợp",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    assert!(text.contains("lỗi 0"), "no failed requests:\n{text}");
    assert!(!dir.path().join("motcua.bench-baseline.db").exists(), "the scratch database is removed");
    server.kill9();
}

/// Not a measurement: the crash bench kills its server a few times under the mixed load and
/// its checks pass (every acknowledged dossier, file and action there once; chains intact).
async fn bench_crash_runs(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let (d, url) = (dir.path().to_path_buf(), db.url.clone());
    let out = tokio::task::spawn_blocking(move || {
        let args = ["--database-url", &url, "bench-crash", "--kills", "3", "--min-ms", "200", "--max-ms", "600"];
        run(motcua(&d).args(args), None)
    })
    .await
    .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    for line in ["3 lần kill -9", "đã xác nhận:", "Toàn vẹn", "KẾT QUẢ: không mất, không trùng"] {
        assert!(stdout.contains(line), "{line} in\n{stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_crash_runs_on_sqlite() {
    bench_crash_runs(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_crash_runs_on_postgres() {
    bench_crash_runs(Engine::Postgres).await;
}

/// `motcua bench-search` builds a generated catalog, searches it and prints the figures.
#[test]
fn bench_search_prints_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(motcua(dir.path()).args(["bench-search", "--procedures", "600", "--queries", "64"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("600 thủ tục") && stdout.contains("64 yêu cầu"), "{stdout}");
    assert!(
        stdout.contains("p99") && stdout.contains("0 lần không có kết quả"),
        "every sample question finds something: {stdout}"
    );
}

/// `bench-stats` prints its timings on an empty database and refuses one that has counters.
#[test]
fn bench_stats_runs_on_an_empty_database_only() {
    let dir = tempfile::tempdir().unwrap();
    let url = motcua_store::sqlite_url(&dir.path().join("bench.db"));
    let bench = || {
        run(
            motcua(dir.path()).args(["--database-url", &url, "bench-stats", "--dossiers", "3000", "--rounds", "2"]),
            None,
        )
    };
    let out = bench();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let report = text(&out.stdout);
    for line in ["3000 hồ sơ mẫu", "tổng hợp toàn tỉnh", "xếp hạng chỉ số 766", "trung tâm"] {
        assert!(report.contains(line), "{line}: {report}");
    }
    let again = bench();
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("CSDL trống"), "{}", text(&again.stderr));
}

/// PostgreSQL, where each statement is a round trip: the statements `motcua bench` counts for
/// each write request, pinned. Its probe (a server in the test's process on a demo database)
/// submits dossiers, and a desk officer receives each and a specialist forwards it. Once the
/// server's reference copy is warm (from the second round on):
/// - a submission is the session with its roles and the versions of reference data (one
///   statement), the day's sequence, one statement for everything else, COMMIT;
/// - an action is the session with the versions, the dossier read (may this officer act
///   on it?), then read again and locked in the transaction, one statement, COMMIT, and the
///   receipts of its fee for the answer — no rating: only a returned dossier may have one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_send_few_statements_on_postgres() {
    let Some(db) = TestDb::new(Engine::Postgres).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = run(motcua(dir.path()).args(["--database-url", &db.url, "demo"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let url = db.url.clone();
    let tally =
        tokio::task::spawn_blocking(move || motcua_bench::statements::tally(&url, motcua::demo::DEMO_PASSWORD, 4))
            .await
            .unwrap()
            .unwrap();
    let kinds = |kind: &str| tally.get(kind).cloned().unwrap_or_default();
    let (submissions, actions) = (kinds("POST /api/v1/dossiers"), kinds("POST /api/v1/dossiers/{code}/actions"));
    assert_eq!((submissions.len(), actions.len()), (4, 8), "{tally:#?}");
    for warm in &submissions[1..] {
        assert_eq!(warm.len(), 4, "a submission: {warm:#?}");
    }
    for warm in &actions[2..] {
        assert_eq!(warm.len(), 6, "an action: {warm:#?}");
    }
    for action in &actions {
        assert!(!action.iter().any(|s| s.contains("FROM ratings")), "no rating looked up: {action:#?}");
    }
    for warm in submissions[1..].iter().chain(&actions[2..]) {
        let versions = warm.iter().filter(|s| s.contains("SELECT key, value")).count();
        assert_eq!(versions, 0, "the versions come with the session: {warm:#?}");
    }
}
