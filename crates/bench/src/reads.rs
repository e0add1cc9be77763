//! `motcua bench --reads-only` (issue 28): the pages and list APIs officers, citizens and
//! leaders read, timed one request at a time against a server holding an archive of any size
//! (`motcua demo --synthetic N`): every list of the desk and of a department, their next
//! pages, filters and searches, a dossier, the operations centre. Writes nothing.

use serde_json::Value;

use crate::common::{BenchArgs, BenchError, login};

/// A page or API read, as whom (a bearer token; empty: anonymous).
struct Read {
    name: String,
    path: String,
    token: String,
}

/// The reads, with what they need found first (a dossier of the unit, its applicant's name,
/// each list's next page).
async fn reads(client: &reqwest::Client, url: &str, password: &str) -> Result<Vec<Read>, BenchError> {
    let desk = login(client, url, "halong.motcua", password).await?;
    let specialist = login(client, url, "halong.chuyenvien", password).await?;
    let department = login(client, url, "stp.chuyenvien", password).await?;
    let leader = login(client, url, "halong.lanhdao", password).await?;
    let citizen = login(client, url, "congdan", password).await?;
    let get = |path: String, token: &str| {
        let req = client.get(format!("{url}{path}")).bearer_auth(token);
        async move {
            let v: Value = req.send().await?.json().await?;
            Ok::<Value, BenchError>(v)
        }
    };
    let first = get("/api/v1/dossiers?scope=all&limit=50".into(), &desk).await?;
    let newest = &first["items"][0];
    let code = newest["code"].as_str().unwrap_or_default().to_owned();
    let name = newest["applicant"]["full_name"].as_str().unwrap_or("Nguyễn Văn An").to_owned();
    let cccd = newest["applicant"]["cccd"].as_str().unwrap_or("022090001234").to_owned();
    let next = |v: &Value| v["next"].as_str().map(str::to_owned).unwrap_or_default();
    let all_next = next(&first);
    let department_next = next(&get("/api/v1/dossiers?scope=all&limit=50".into(), &department).await?);
    let words = |s: &str| s.replace(' ', "+");
    let r = |name: &str, path: String, token: &str| Read { name: name.into(), path, token: token.into() };
    Ok(vec![
        r("API: hộp thư một cửa", "/api/v1/dossiers?scope=inbox&limit=50".into(), &desk),
        r("API: mọi hồ sơ của đơn vị (một cửa)", "/api/v1/dossiers?scope=all&limit=50".into(), &desk),
        r("API: mọi hồ sơ, trang sau", format!("/api/v1/dossiers?scope=all&limit=50&after={all_next}"), &desk),
        r("API: mọi hồ sơ, đã trả kết quả", "/api/v1/dossiers?scope=all&status=10&limit=50".into(), &desk),
        r("API: mọi hồ sơ, quá hạn", "/api/v1/dossiers?scope=all&overdue=true&limit=50".into(), &desk),
        r("API: tìm theo họ tên", format!("/api/v1/dossiers?scope=all&q={}", words(&name)), &desk),
        r("API: tìm theo CCCD", format!("/api/v1/dossiers?scope=all&q={cccd}"), &desk),
        r("API: tìm theo mã hồ sơ", format!("/api/v1/dossiers?scope=all&q={code}"), &desk),
        r("API: mọi hồ sơ (Sở Tư pháp)", "/api/v1/dossiers?scope=all&limit=50".into(), &department),
        r(
            "API: Sở Tư pháp, trang sau",
            format!("/api/v1/dossiers?scope=all&limit=50&after={department_next}"),
            &department,
        ),
        r("API: hồ sơ của công dân", "/api/v1/dossiers?limit=50".into(), &citizen),
        r("API: một hồ sơ", format!("/api/v1/dossiers/{code}"), &desk),
        r("hộp thư một cửa", "/ho-so".into(), &desk),
        r("hộp thư chuyên viên", "/ho-so".into(), &specialist),
        r("hộp thư, quá hạn", "/ho-so?han=qua-han".into(), &specialist),
        r("mọi hồ sơ của đơn vị", "/ho-so?pham-vi=tat-ca".into(), &desk),
        r("mọi hồ sơ, trang sau", format!("/ho-so?pham-vi=tat-ca&sau={all_next}"), &desk),
        r("mọi hồ sơ, lọc đã trả kết quả", "/ho-so?pham-vi=tat-ca&tt=10".into(), &desk),
        r("tìm hồ sơ theo họ tên", format!("/ho-so?tim={}", words(&name)), &desk),
        r("mọi hồ sơ (Sở Tư pháp)", "/ho-so?pham-vi=tat-ca".into(), &department),
        r("trang hồ sơ (cán bộ)", format!("/ho-so/{code}"), &desk),
        r("hồ sơ của tôi (công dân)", "/ho-so".into(), &citizen),
        r("trung tâm điều hành", "/ioc".into(), &leader),
        r("API: thống kê tổng hợp", "/api/v1/stats/summary".into(), &leader),
        r("API: chỉ số", "/api/v1/stats/index".into(), ""),
    ])
}

/// Each read `args.page_requests` times, one at a time: p50/p99 per read and the slowest.
pub async fn run(
    client: &reqwest::Client,
    url: &str,
    args: &BenchArgs,
    out: &mut Vec<String>,
) -> Result<(), BenchError> {
    let reads = reads(client, url, &args.password).await?;
    out.push(format!(
        "đọc danh sách và trang ở quy mô kho hồ sơ: {} lần mỗi mục, tuần tự (thời gian phía máy khách)",
        args.page_requests
    ));
    let mut worst = (0.0_f64, String::new());
    for read in reads {
        let phase =
            crate::common::get_times(client, &format!("{url}{}", read.path), &read.token, args.page_requests).await;
        if phase.percentile(99.0) > worst.0 {
            worst = (phase.percentile(99.0), read.name.clone());
        }
        out.push(phase.line(&format!("  {}", read.name)));
    }
    out.push(format!("chậm nhất: {} p99 {:.1} ms (mục tiêu < 50 ms)", worst.1, worst.0));
    Ok(())
}
