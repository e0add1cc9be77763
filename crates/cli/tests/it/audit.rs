//! `motcua audit verify` against a database changed behind the application's back, on
//! SQLite and on PostgreSQL.

use crate::common;

use common::TestApp;

on_both_backends!(edits_outside_the_application_are_found, a_deleted_dossier_leaves_a_gap);

/// Runs `motcua audit verify` on the test database: (success, stdout + stderr).
fn verify(app: &TestApp) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["--database-url", &app.db.url, "audit", "verify"])
        .env("MOTCUA_LOG", "warn")
        .output()
        .expect("run motcua");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Three dossiers: the first received and forwarded, the second received, the third new.
async fn three_dossiers(app: &TestApp) -> Vec<String> {
    let citizen = app.token("congdan").await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(app.submit_online(&citizen).await["code"].as_str().unwrap().to_owned());
    }
    app.act_as("halong.motcua", &codes[0], "receive").await;
    app.act_as("halong.motcua", &codes[1], "receive").await;
    app.act_as("halong.chuyenvien", &codes[0], "forward").await;
    codes
}

async fn edits_outside_the_application_are_found(app: TestApp) {
    let c = three_dossiers(&app).await;
    let (ok, out) = verify(&app);
    assert!(ok && out.contains("Toàn vẹn: đã kiểm tra 3 hồ sơ, 6 sự kiện"), "{out}");

    // An event's details rewritten.
    let n = app
        .db
        .execute_raw(&format!(
            "UPDATE dossier_events SET details = '{{\"reason\":\"sửa\"}}' WHERE dossier_code = '{}' AND seq = 2",
            c[0]
        ))
        .await;
    assert_eq!(n, 1);
    let (ok, out) = verify(&app);
    assert!(!ok && out.contains(&format!("hồ sơ {}: sự kiện #2 bị sửa", c[0])), "{out}");
    app.db
        .execute_raw(&format!("UPDATE dossier_events SET details = '{{}}' WHERE dossier_code = '{}' AND seq = 2", c[0]))
        .await;
    assert!(verify(&app).0, "restored");

    // The applicant's name changed in the stored dossier.
    app.db
        .execute_raw(&format!(
            "UPDATE dossiers SET body = replace(body, 'Nguyễn Văn An', 'Nguyễn Văn Ăn') WHERE code = '{}'",
            c[1]
        ))
        .await;
    let (ok, out) = verify(&app);
    assert!(!ok && out.contains(&format!("hồ sơ {}: dữ liệu hồ sơ bị sửa", c[1])), "{out}");
    app.db
        .execute_raw(&format!(
            "UPDATE dossiers SET body = replace(body, 'Nguyễn Văn Ăn', 'Nguyễn Văn An') WHERE code = '{}'",
            c[1]
        ))
        .await;

    // A status column set to "returned" without an event.
    app.db.execute_raw(&format!("UPDATE dossiers SET status = 10 WHERE code = '{}'", c[2])).await;
    let (ok, out) = verify(&app);
    assert!(!ok && out.contains(&format!("hồ sơ {}: cột status bị sửa", c[2])), "{out}");
    app.db.execute_raw(&format!("UPDATE dossiers SET status = 1 WHERE code = '{}'", c[2])).await;
    assert!(verify(&app).0);

    // The last event removed.
    app.db.execute_raw(&format!("DELETE FROM dossier_events WHERE dossier_code = '{}' AND seq = 3", c[0])).await;
    let (ok, out) = verify(&app);
    assert!(!ok && out.contains(&format!("hồ sơ {}: chuỗi sự kiện đứt tại #3", c[0])), "{out}");
}

async fn a_deleted_dossier_leaves_a_gap(app: TestApp) {
    let c = three_dossiers(&app).await;
    app.db.execute_raw(&format!("DELETE FROM dossier_events WHERE dossier_code = '{}'", c[1])).await;
    app.db.execute_raw(&format!("DELETE FROM dossiers WHERE code = '{}'", c[1])).await;
    let (ok, out) = verify(&app);
    assert!(!ok && out.contains("thiếu hồ sơ số 0002"), "{out}");
}
