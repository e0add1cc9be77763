//! The connector to the national document axis (Trục liên thông văn bản quốc gia), or to a
//! province's data-sharing platform (LGSP) relaying to it, as the public integrations built
//! on the axis's SDK call it (its `KnobstickService` and `AgencyService`):
//!
//! | call | request | answer `data` |
//! |---|---|---|
//! | `POST {base}/sendEdoc` | the edXML package, `application/octet-stream`; headers `from`, `servicetype: eDoc`, `messagetype: edoc` or `status` | — (`DocId`) |
//! | `POST {base}/getReceivedEdocList` | headers `servicetype`, `messagetype` | `[{docId, from, messageType, …}]` |
//! | `POST {base}/getEdoc` | header `docId` | the package, base64 |
//! | `POST {base}/updateStatus` | headers `docId`, `status: done` or `fail` | — |
//! | `POST {base}/getAgenciesList` | — | `[{code, name, pcode, …}]` |
//!
//! Every call carries the connection's `systemid` and `secret` headers; every answer is JSON
//! with `status` (`OK`/`FAIL`), `ErrorCode` (`0` when it worked) and `ErrorDesc`.
//!
//! Packages go out through the durable outbox (target [`AXIS_TARGET`]) like those to partner
//! servers; packages come in by polling, one server at a time, and each is marked `done` on
//! the axis only once it is registered or quarantined here, so a crash in between fetches it
//! again (and registration is once per DocumentId). **Not yet run against the real axis**,
//! which cannot be reached from where this was built: the tests run it against a local
//! server implementing the same calls.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use motcua_domain::OrgCode;
use motcua_exchange::edxml::{self, PackageKind};
use motcua_exchange::{DocumentPackage, StatusPackage};
use motcua_store::documents::OutboxItem;
use serde::{Deserialize, Serialize};

use super::{Delivery, Exchange, ExchangeServiceError, Route, Source};

/// The outbox target of packages for the axis.
pub const AXIS_TARGET: &str = "axis";
/// Where the agency directory is kept (the `meta` table, shared by every server).
const DIRECTORY_KEY: &str = "axis_agencies";
/// Packages fetched per kind and pass.
const PER_PASS: usize = 100;

/// How to reach the axis: base URL and credentials, from the server's configuration.
#[derive(Clone)]
pub struct AxisSettings {
    pub base_url: String,
    pub system_id: String,
    pub secret: String,
    /// How often the axis is asked for new packages.
    pub poll_every: Duration,
}

impl std::fmt::Debug for AxisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("AxisSettings")
            .field("base_url", &self.base_url)
            .field("system_id", &self.system_id)
            .field("poll_every", &self.poll_every)
            .finish_non_exhaustive()
    }
}

/// An agency of the axis's directory: its code (the `OrganId` packages carry, the
/// organisation's code under Decision 20/2020/QĐ-TTg), name and parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Agency {
    pub code: String,
    pub name: String,
    #[serde(default, alias = "pcode")]
    pub parent: String,
}

/// The axis's answer to any call.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    status: String,
    #[serde(rename = "ErrorCode", default)]
    error_code: serde_json::Value,
    #[serde(rename = "ErrorDesc", default)]
    error_desc: String,
    #[serde(default)]
    data: serde_json::Value,
}

impl Answer {
    fn ok(&self) -> bool {
        let code_ok = match &self.error_code {
            serde_json::Value::String(s) => s.trim() == "0",
            serde_json::Value::Number(n) => n.as_i64() == Some(0),
            serde_json::Value::Null => true,
            _ => false,
        };
        code_ok && !self.status.eq_ignore_ascii_case("FAIL")
    }
}

/// One package waiting on the axis.
#[derive(Debug, Deserialize)]
struct Waiting {
    #[serde(rename = "docId", alias = "DocId")]
    doc_id: String,
}

/// Reads a directory from a file: the axis's own `getAgenciesList` answer (or just its
/// `data` list), or CSV lines `code,name[,parent]` (a first line naming the columns is
/// skipped). Codes must read as organisation codes.
pub fn parse_directory(text: &str) -> Result<Vec<Agency>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let agencies: Vec<Agency> = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| format!("JSON không hợp lệ: {e}"))?;
        let list = if value.is_array() { value } else { value.get("data").cloned().unwrap_or_default() };
        serde_json::from_value(list).map_err(|e| format!("danh sách cơ quan không hợp lệ: {e}"))?
    } else {
        let mut out = Vec::new();
        for (i, line) in trimmed.lines().enumerate() {
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            if line.trim().is_empty() || (i == 0 && cols[0].eq_ignore_ascii_case("code")) {
                continue;
            }
            let [code, name, rest @ ..] = cols.as_slice() else {
                return Err(format!("dòng {}: cần mã,tên[,mã cơ quan cha]", i + 1));
            };
            out.push(Agency {
                code: (*code).to_owned(),
                name: (*name).to_owned(),
                parent: rest.first().map(|p| (*p).to_owned()).unwrap_or_default(),
            });
        }
        out
    };
    for a in &agencies {
        OrgCode::parse(&a.code).map_err(|_| format!("mã cơ quan không hợp lệ: {}", a.code))?;
        if a.name.trim().is_empty() {
            return Err(format!("cơ quan {} thiếu tên", a.code));
        }
    }
    Ok(agencies)
}

fn sender_of(raw: &[u8]) -> Option<(OrgCode, &'static str)> {
    match edxml::package_kind(raw).ok()? {
        PackageKind::Document => DocumentPackage::parse(raw).ok().map(|p| (p.header.from.id, "edoc")),
        PackageKind::Status => StatusPackage::parse(raw).ok().map(|p| (p.from.id, "status")),
    }
}

impl Exchange {
    /// The connection to the axis, if configured.
    pub fn axis(&self) -> Option<&AxisSettings> {
        self.settings.axis.as_ref()
    }

    async fn axis_call(
        &self,
        axis: &AxisSettings,
        call: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Answer, String> {
        let url = format!("{}/{call}", axis.base_url.trim_end_matches('/'));
        let mut request =
            self.http.post(url).header("systemid", axis.system_id.as_str()).header("secret", axis.secret.as_str());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request = match body {
            Some(b) => request.header(reqwest::header::CONTENT_TYPE, "application/octet-stream").body(b),
            None => request.header(reqwest::header::CONTENT_TYPE, "application/json"),
        };
        let response = request.send().await.map_err(|e| format!("không kết nối được trục liên thông ({call}): {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("trục liên thông ({call}): {e}"))?;
        let answer: Answer = serde_json::from_str(&text).map_err(|_| {
            format!("trục liên thông trả lời {status} cho {call}: {}", text.chars().take(300).collect::<String>())
        })?;
        if !answer.ok() {
            return Err(format!("trục liên thông từ chối {call} (mã {}): {}", answer.error_code, answer.error_desc));
        }
        Ok(answer)
    }

    /// Hands a package to the axis (`sendEdoc`).
    pub(super) async fn deliver_to_axis(&self, item: &OutboxItem) -> Delivery {
        let Some(axis) = self.axis() else {
            return Delivery::Retry("chưa cấu hình kết nối trục liên thông (--axis-url)".into());
        };
        let Some((from, message_type)) = sender_of(item.package.as_bytes()) else {
            return Delivery::Refused("gói tin không đọc được".into());
        };
        let headers = [("from", from.as_str()), ("servicetype", "eDoc"), ("messagetype", message_type)];
        match self.axis_call(axis, "sendEdoc", &headers, Some(item.package.as_bytes().to_vec())).await {
            Ok(_) => Delivery::Done,
            Err(e) => Delivery::Retry(e),
        }
    }

    /// One pass over what waits on the axis for this system: documents, then statuses. Each
    /// is taken in like any delivery (verified, then registered once, or quarantined) and
    /// then marked on the axis (`done`, or `fail` when quarantined). Returns how many.
    pub async fn poll_axis(&self) -> Result<usize, String> {
        let Some(axis) = self.axis() else { return Ok(0) };
        let Some(_lead) = self.jobs.lead("axis_inbox").await.map_err(|e| e.to_string())? else { return Ok(0) };
        let mut taken = 0;
        for message_type in ["edoc", "status"] {
            let list = self
                .axis_call(axis, "getReceivedEdocList", &[("servicetype", "eDoc"), ("messagetype", message_type)], None)
                .await?;
            let waiting: Vec<Waiting> = serde_json::from_value(list.data).unwrap_or_default();
            for w in waiting.into_iter().take(PER_PASS) {
                let got = self.axis_call(axis, "getEdoc", &[("docId", &w.doc_id)], None).await?;
                let raw = got.data.as_str().and_then(|s| B64.decode(s.trim()).ok());
                let outcome = match raw {
                    Some(raw) => match self.receive(&raw, &Source::Axis).await {
                        Ok(_) => "done",
                        Err(ExchangeServiceError::Quarantined { .. }) => "fail",
                        // Not marked: fetched again next pass.
                        Err(e) => return Err(e.to_string()),
                    },
                    None => {
                        self.quarantine(
                            &Source::Axis,
                            "trục liên thông trả về gói tin không giải mã được",
                            None,
                            None,
                            &[],
                        )
                        .await;
                        "fail"
                    }
                };
                self.axis_call(axis, "updateStatus", &[("docId", &w.doc_id), ("status", outcome)], None).await?;
                taken += 1;
            }
        }
        Ok(taken)
    }

    /// Polls the axis until the process ends, waiting longer after each failure (up to ten
    /// times the usual wait).
    pub async fn run_axis(self: Arc<Self>) {
        let Some(every) = self.axis().map(|a| a.poll_every) else { return };
        let mut wait = every;
        loop {
            match self.poll_axis().await {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(packages = n, "axis: packages taken in");
                    }
                    wait = every;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "axis: polling failed");
                    wait = (wait * 2).min(every * 10);
                }
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// The axis's agency directory, as last imported.
    pub async fn directory(&self) -> Result<Vec<Agency>, ExchangeServiceError> {
        Ok(match self.meta.meta(DIRECTORY_KEY).await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// Replaces the agency directory; answers how many agencies it holds and how many of
    /// them are this server's own organisations (same code).
    pub async fn import_directory(&self, agencies: &[Agency]) -> Result<(usize, usize), ExchangeServiceError> {
        let text = serde_json::to_string(agencies).map_err(|e| ExchangeServiceError::Invalid(e.to_string()))?;
        self.meta.set_meta(DIRECTORY_KEY, &text).await?;
        let mut own = 0;
        for a in agencies {
            if let Ok(code) = OrgCode::parse(&a.code)
                && self.orgs.organisation(&code).await?.is_some()
            {
                own += 1;
            }
        }
        Ok((agencies.len(), own))
    }

    /// Fetches the directory from the axis (`getAgenciesList`).
    pub async fn fetch_directory(&self) -> Result<Vec<Agency>, String> {
        let axis = self.axis().ok_or("chưa cấu hình kết nối trục liên thông (--axis-url)")?;
        let answer = self.axis_call(axis, "getAgenciesList", &[], None).await?;
        parse_directory(&serde_json::json!({ "data": answer.data }).to_string())
    }

    /// An organisation reached through the axis: with a connection configured, one in the
    /// imported directory (any, while none is imported).
    pub(super) async fn route_axis(&self, org: &OrgCode) -> Result<Option<Route>, ExchangeServiceError> {
        if self.axis().is_none() {
            return Ok(None);
        }
        let directory = self.directory().await?;
        if directory.is_empty() {
            return Ok(Some(Route::Axis(org.to_string())));
        }
        Ok(directory.into_iter().find(|a| a.code == org.as_str()).map(|a| Route::Axis(a.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_reads_from_the_axis_answer_or_csv() {
        let json = r#"{"status":"OK","ErrorCode":"0","ErrorDesc":"","data":[
            {"id":"1","code":"000.00.00.G22","pcode":"","name":"Văn phòng Chính phủ","mail":""},
            {"id":"2","code":"000.00.00.H22","pcode":"000.00.00.G22","name":"UBND tỉnh Quảng Ninh"}]}"#;
        let a = parse_directory(json).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a[1].code.as_str(), a[1].parent.as_str()), ("000.00.00.H22", "000.00.00.G22"));
        let csv = "\u{feff}code,name,parent\n000.00.00.G22, Văn phòng Chính phủ\n\n000.00.00.H26,UBND tỉnh Hải Dương,000.00.00.G22\n";
        let c = parse_directory(csv).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].name.as_str(), c[1].parent.as_str()), ("Văn phòng Chính phủ", "000.00.00.G22"));
        assert!(parse_directory("bad code!,Tên").is_err());
        assert!(parse_directory("000.00.00.G22,").is_err());
        assert!(parse_directory("000.00.00.G22").is_err());
        assert!(parse_directory("{\"data\": 5}").is_err());
    }

    #[test]
    fn answers_are_read_whatever_the_type_of_their_code() {
        let ok: Answer = serde_json::from_str(r#"{"status":"OK","ErrorCode":0,"ErrorDesc":"Success"}"#).unwrap();
        assert!(ok.ok());
        let ok: Answer = serde_json::from_str(r#"{"status":"OK","ErrorCode":"0"}"#).unwrap();
        assert!(ok.ok());
        let fail: Answer = serde_json::from_str(r#"{"status":"FAIL","ErrorCode":"0"}"#).unwrap();
        assert!(!fail.ok());
        let fail: Answer = serde_json::from_str(r#"{"status":"OK","ErrorCode":"401","ErrorDesc":"sai"}"#).unwrap();
        assert!(!fail.ok());
    }
}
