//! Notifications to applicants through a real SMTP server on loopback (Python's aiosmtpd
//! writing a Maildir): queued durably from dossier events, retried while the mail server is
//! down, delivered once it is up, in Vietnamese; SMS through the log provider.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::TestApp;
use motcua_store::testing::Engine;

struct Smtp(Child);

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_smtp(port: u16, maildir: &std::path::Path) -> Smtp {
    // Owned by the guard at once, so it is killed and reaped whatever happens next.
    let smtp = Smtp(
        Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd; .ci/run installs it)"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return smtp;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("aiosmtpd did not start");
}

/// Subject, recipient and decoded body of each message in the Maildir, by Python's email module.
fn messages(maildir: &std::path::Path) -> Vec<(String, String, String)> {
    let script = r#"
import email, email.header, mailbox, sys, json
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    subject = str(email.header.make_header(email.header.decode_header(m['Subject'])))
    out.append([subject, m['To'], m.get_payload(decode=True).decode(m.get_content_charset() or 'utf-8')])
print(json.dumps(out))
"#;
    if !maildir.join("new").exists() {
        return vec![];
    }
    let out = Command::new("python3").args(["-c", script]).arg(maildir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn notifications_reach_the_applicant(engine: Engine) {
    let port = free_port();
    let Some(app) = TestApp::spawn_with(engine, |s| {
        s.notify.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        s.notify.poll = Duration::from_millis(100);
        s.notify.first_backoff = Duration::from_millis(100);
        s.notify.max_backoff = Duration::from_millis(400);
    })
    .await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");

    // The mail server is down when the dossier is received: the message waits and is retried.
    let token = app.token("congdan").await;
    let code = app.submit_online(&token).await["code"].as_str().unwrap().to_owned();
    app.act_as("halong.motcua", &code, "receive").await;
    let dossier = motcua_domain::DossierCode::parse(&code).unwrap();
    let mut tries = 0;
    for _ in 0..100 {
        let notes = app.db.store.notifications_of(&dossier).await.unwrap();
        if let Some(e) = notes.iter().find(|n| n.note.channel == "email") {
            tries = e.attempts;
            if tries >= 2 {
                assert!(e.last_error.is_some() && e.sent_at.is_none());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(tries >= 2, "retried while the server was down");
    let _smtp = start_smtp(port, &maildir);
    app.act_as("halong.chuyenvien", &code, "request_payment").await;

    let mut got = vec![];
    for _ in 0..100 {
        got = messages(&maildir);
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 2, "{got:?}");
    let received = got.iter().find(|m| m.0.contains("đã được tiếp nhận")).expect("the reception message");
    assert_eq!(received.0, format!("Hồ sơ {code} đã được tiếp nhận"));
    assert!(received.1.contains("congdan@demo.motcua.vn"));
    assert!(
        received.2.contains("Kính gửi Ông/Bà Nguyễn Văn An") && received.2.contains("Thời hạn trả kết quả"),
        "{}",
        received.2
    );
    assert!(received.2.contains(&format!("/tra-cuu?ma={code}")));
    let payment = got.iter().find(|m| m.0.contains("nộp phí")).expect("the payment message");
    assert!(payment.2.contains("15.000 ₫") && payment.2.contains("VietQR"), "{}", payment.2);

    // Each event once per channel: SMS went through the log provider too; nothing more is sent.
    let notes = app.db.store.notifications_of(&dossier).await.unwrap();
    let sent: Vec<(&str, bool)> = notes.iter().map(|n| (n.note.channel.as_str(), n.sent_at.is_some())).collect();
    assert_eq!(sent.iter().filter(|(c, s)| *c == "email" && *s).count(), 2, "{sent:?}");
    assert_eq!(sent.iter().filter(|(c, s)| *c == "sms" && *s).count(), 2, "{sent:?}");
    // Submitting tells nothing (the applicant is on the page); only the six events do.
    assert_eq!(notes.len(), 4);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(messages(&maildir).len(), 2, "nothing sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_notifications_reach_the_applicant() {
    notifications_reach_the_applicant(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notifications_reach_the_applicant() {
    notifications_reach_the_applicant(Engine::Postgres).await;
}
