//! The HAProxy configuration shipped in `deploy/haproxy.cfg`, started as shipped (only the
//! addresses filled in and the health checks made faster) in front of the servers a test
//! gives it; and what it may send again when a server dies with a request unanswered.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::process::Server;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn haproxy() -> Option<PathBuf> {
    ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// A running HAProxy: where it listens, and its statistics page.
pub struct Balancer {
    pub url: String,
    stats_port: u16,
    _process: Server,
}

impl Balancer {
    /// `deploy/haproxy.cfg` with `servers` behind it, written into `dir`, checked with
    /// `haproxy -c`, started.
    pub fn start(haproxy: &Path, dir: &Path, servers: &[u16]) -> Balancer {
        let (port, stats_port) = (free_port(), free_port());
        let lines: String =
            servers.iter().enumerate().map(|(i, p)| format!("    server s{i} 127.0.0.1:{p} check\n")).collect();
        let shipped = include_str!("../../../../deploy/haproxy.cfg");
        let checks = "default-server inter 1s fall 2 rise 2";
        for once in ["@LISTEN@", "@SERVERS@", checks] {
            assert_eq!(shipped.matches(once).count(), 1, "{once} once in deploy/haproxy.cfg");
        }
        let filled = shipped
            .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
            .replace("@SERVERS@", &lines)
            .replace(checks, "default-server inter 200ms fall 1 rise 1");
        // And a statistics page, to tell how many requests HAProxy itself sent again.
        let filled = format!(
            "{filled}\nlisten stats\n    bind 127.0.0.1:{stats_port}\n    stats enable\n    stats uri /stats\n"
        );
        let config = dir.join("haproxy.cfg");
        std::fs::write(&config, filled).unwrap();
        let check = std::process::Command::new(haproxy).arg("-c").arg("-f").arg(&config).output().unwrap();
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
        let process = std::process::Command::new(haproxy)
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("haproxy");
        Balancer { url: format!("http://127.0.0.1:{port}"), stats_port, _process: Server(process) }
    }

    /// How many requests it sent again after a connection failure or an empty answer, and
    /// how many of those went to another server (its `wretr` and `wredis` counters).
    pub async fn retries(&self, client: &reqwest::Client) -> (u64, u64) {
        let url = format!("http://127.0.0.1:{}/stats;csv", self.stats_port);
        let csv = client.get(url).send().await.unwrap().text().await.unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().trim_start_matches("# ").split(',').collect();
        let column = |name: &str| header.iter().position(|h| *h == name).expect("a stats column");
        let row: Vec<&str> =
            lines.map(|l| l.split(',').collect::<Vec<_>>()).find(|r| r[0] == "motcua" && r[1] == "BACKEND").unwrap();
        let number = |name: &str| row[column(name)].parse().unwrap_or(0);
        (number("wretr"), number("wredis"))
    }
}

/// A server that is ready (`/readyz` answers 200) and dies on every other request once it
/// has read it whole: it closes the connection without a word, as a server killed between
/// doing the work and answering. Counts the requests it took.
fn dying_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = Arc::new(AtomicUsize::new(0));
    let count = taken.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let count = count.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = h.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if line.starts_with("GET /readyz ") {
                        let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if stream.write_all(ok.as_bytes()).is_err() {
                            return;
                        }
                        continue;
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    return; // the connection closes, nothing answered
                }
            });
        }
    });
    (port, taken)
}

/// When a server dies with a request unanswered, the balancer sends again only what is
/// safe to send twice: reads, and writes with an `Idempotency-Key` (motcua answers their
/// repeat with the first result). A write without one — a queue ticket, an appointment, an
/// officer's action — is not repeated behind the client's back: a second ticket or a second
/// booking would be a real one. The client is told (502) and decides.
#[tokio::test]
async fn the_balancer_sends_again_only_what_is_safe_to_send_twice() {
    let Some(haproxy) = haproxy() else {
        assert!(
            std::env::var_os("MOTCUA_REQUIRE_POSTGRES").is_none(),
            "haproxy is not installed (scripts/install-deps)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, taken_a) = dying_server();
    let (b, taken_b) = dying_server();
    let balancer = Balancer::start(&haproxy, dir.path(), &[a, b]);
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let taken = || taken_a.load(Ordering::SeqCst) + taken_b.load(Ordering::SeqCst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while client.get(format!("{}/readyz", balancer.url)).send().await.map(|r| r.status().as_u16()).ok() != Some(200) {
        assert!(std::time::Instant::now() < deadline, "haproxy not up");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let send = |method: reqwest::Method, key: Option<&str>| {
        let mut r = client.request(method, format!("{}/api/v1/queue/000.00.37.H22/tickets", balancer.url));
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        let before = taken();
        async move {
            let status =
                r.body(r#"{"letter":"A"}"#).header("content-type", "application/json").send().await.unwrap().status();
            (status.as_u16(), taken() - before)
        }
    };
    // A write without a key reaches one server once, and the client learns it went wrong.
    assert_eq!(send(reqwest::Method::POST, None).await, (502, 1), "a keyless POST is not sent again");
    assert_eq!(send(reqwest::Method::PATCH, None).await.1, 1, "nor any other keyless write");
    // A write with a key, and a read, are sent again (to the other server too).
    let (status, times) = send(reqwest::Method::POST, Some("ve-1")).await;
    assert!(status == 502 && times > 1, "a POST with an Idempotency-Key is sent again: {times} times");
    let (_, times) = send(reqwest::Method::GET, None).await;
    assert!(times > 1, "a read is sent again: {times} times");
    let (resent, _) = balancer.retries(&client).await;
    assert!(resent >= 2, "the balancer counts what it sent again: {resent}");
}
