//! The `motcua` binary as a user runs it: a command, or `motcua serve` killed with SIGKILL.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn motcua(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_motcua"));
    c.env_remove("MOTCUA_DATABASE_URL")
        .env_remove("MOTCUA_LISTEN")
        .env_remove("MOTCUA_KEY_PASSPHRASE")
        .env_remove("MOTCUA_KEY_PASSPHRASE_FILE")
        .env_remove("MOTCUA_BLOB_URL")
        .env("MOTCUA_DATA_DIR", data_dir)
        .env("MOTCUA_LOG", "warn");
    c
}

pub fn run(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn motcua");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A running `motcua serve`; killed (SIGKILL) and reaped when dropped, also when a test fails.
pub struct Server(pub Child);

impl Server {
    /// SIGKILL, as a crash would.
    pub fn kill9(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `motcua serve` and returns it with the URL it printed.
pub fn start_server(data_dir: &Path, extra: &[&str]) -> (Server, String, Vec<String>) {
    let mut cmd = motcua(data_dir);
    cmd.env("MOTCUA_LISTEN", "127.0.0.1:0").arg("serve").args(extra);
    start(cmd)
}

/// Starts a prepared `motcua … serve` command and waits for the URL it prints.
pub fn start(cmd: Command) -> (Server, String, Vec<String>) {
    start_logging_to(cmd, Stdio::inherit())
}

/// As [`start`], its log (standard error) going to `log`.
pub fn start_logging_to(mut cmd: Command, log: Stdio) -> (Server, String, Vec<String>) {
    let mut server = Server(cmd.stdout(Stdio::piped()).stderr(log).spawn().expect("spawn motcua serve"));
    let stdout = server.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        lines.push(line.clone());
        if let Some(i) = line.find("http://") {
            let url = line[i..].split_whitespace().next().unwrap_or_default().to_owned();
            // Keep reading the demo logins printed after the URL.
            std::thread::sleep(Duration::from_millis(200));
            lines.extend(rx.try_iter());
            return (server, url, lines);
        }
    }
    drop(server);
    panic!("server printed no URL: {lines:?}");
}

/// Runs a command expected to exit by itself: its output, or a panic naming what it printed
/// when it is still running after `limit` (a server that started where it should refuse).
pub fn run_to_exit(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    panic!("still running after {limit:?}: {}{}", text(&out.stdout), text(&out.stderr));
}
