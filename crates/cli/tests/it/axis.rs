//! `motcua axis`: the national document axis's agency directory imported from a file, and
//! the connection's settings checked before anything is sent.

use crate::process::{motcua, run, text};

#[test]
fn the_agency_directory_comes_from_a_file_and_names_this_servers_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(motcua(d).arg("demo"), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = d.join("agencies.csv");
    std::fs::write(
        &csv,
        "code,name,parent\n000.00.00.G22,Văn phòng Chính phủ\n000.00.00.H22,UBND tỉnh Quảng Ninh,000.00.00.G22\n",
    )
    .unwrap();
    let out = run(motcua(d).args(["axis", "agencies", "--file"]).arg(&csv), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 cơ quan, 1 là cơ quan của máy chủ này"), "{}", text(&out.stdout));
    // The axis's own answer, as saved from getAgenciesList.
    let json = d.join("agencies.json");
    std::fs::write(
        &json,
        r#"{"status":"OK","ErrorCode":"0","data":[{"code":"000.00.00.G22","pcode":"","name":"VPCP"}]}"#,
    )
    .unwrap();
    let out = run(motcua(d).args(["axis", "agencies", "--file"]).arg(&json), None);
    assert!(text(&out.stdout).contains("1 cơ quan, 0 là"), "{}", text(&out.stdout));
    // A bad line is refused, naming it.
    std::fs::write(&csv, "000.00.00.G22,Văn phòng Chính phủ\nmã sai!,Tên\n").unwrap();
    let out = run(motcua(d).args(["axis", "agencies", "--file"]).arg(&csv), None);
    assert!(!out.status.success() && text(&out.stderr).contains("mã sai!"), "{}", text(&out.stderr));
    // Fetching or polling needs a connection, and a connection an http(s) address and a system id.
    let out = run(motcua(d).args(["axis", "poll"]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("--axis-url"), "{}", text(&out.stderr));
    let out = run(motcua(d).args(["axis", "agencies", "--fetch", "--axis-url", "ftp://truc.example.vn"]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("http(s)"), "{}", text(&out.stderr));
    let out = run(motcua(d).args(["axis", "poll", "--axis-url", "https://truc.example.vn"]), None);
    assert!(!out.status.success() && text(&out.stderr).contains("--axis-system-id"), "{}", text(&out.stderr));
}
