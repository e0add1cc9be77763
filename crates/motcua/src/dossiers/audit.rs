//! `motcua audit verify`: proves that no stored event or dossier field was changed outside
//! the application.
//!
//! For every dossier: its events form an unbroken hash chain from the genesis; the last one
//! commits to the stored dossier text; the indexed columns agree with that text. For every
//! receiving unit and day: the codes issued are exactly 1..N, so a dossier deleted with all
//! its events leaves a hole.

use std::collections::{BTreeMap, HashMap};

use motcua_domain::DossierCode;
use motcua_domain::audit::verify_chain;
use motcua_domain::workflow::{Dossier, Workflow};
use motcua_store::{AuditRecord, DossierStore, SettingsStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{0}")]
    Broken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditReport {
    pub dossiers: usize,
    pub events: usize,
}

fn check_columns(r: &AuditRecord, d: &Dossier, workflows: &HashMap<(String, u32), Workflow>) -> Result<(), String> {
    let c = &r.columns;
    let placement = workflows.get(&(d.workflow.clone(), d.workflow_version)).and_then(|wf| d.placement(wf));
    let micros = |t: Option<jiff::Timestamp>| t.map(|t| t.as_microsecond());
    let mismatches = [
        ("procedure_code", c.procedure_code == d.procedure.as_str()),
        ("desk_org", c.desk_org == d.desk_org.as_str()),
        ("processing_org", c.processing_org == d.processing_org.as_str()),
        ("owner_account", c.owner_account == d.owner_account),
        ("status", c.status == i32::from(d.status.code())),
        ("step", c.step == d.step),
        ("waiting_org", c.waiting_org.as_deref() == placement.as_ref().map(|p| p.0.as_str())),
        ("waiting_role", c.waiting_role.as_deref() == placement.as_ref().map(|p| p.1.as_str())),
        ("submitted_at", c.submitted_at == d.submitted_at.as_microsecond()),
        ("due_at", c.due_at == micros(d.due_at)),
        ("finished_at", c.finished_at == micros(d.finished_at)),
        ("last_event_seq", r.last_seq == r.events.len() as i64),
    ];
    match mismatches.iter().find(|(_, ok)| !ok) {
        Some((column, _)) => {
            Err(format!("hồ sơ {}: cột {column} bị sửa ngoài ứng dụng (không khớp dữ liệu đã ký băm)", r.code))
        }
        None => Ok(()),
    }
}

/// Walks every chain. The first problem found is the error.
pub async fn verify(store: &(impl DossierStore + SettingsStore + ?Sized)) -> Result<AuditReport, AuditError> {
    // Each dossier is checked against the version of its workflow it runs under.
    let workflows: HashMap<(String, u32), Workflow> =
        store.workflow_versions().await?.into_iter().map(|w| ((w.code.clone(), w.version), w)).collect();
    let mut report = AuditReport { dossiers: 0, events: 0 };
    // (unit, yymmdd) → sequence numbers seen.
    let mut issued: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let batch = store.audit_batch(after.as_deref(), 500).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.code.clone());
        for r in &batch {
            verify_chain(&r.code, &r.events, &r.body, &r.last_hash).map_err(|e| AuditError::Broken(e.to_string()))?;
            let d: Dossier = serde_json::from_str(&r.body)
                .map_err(|e| AuditError::Broken(format!("hồ sơ {}: dữ liệu không đọc được: {e}", r.code)))?;
            if d.code.as_str() != r.code {
                return Err(AuditError::Broken(format!("hồ sơ {}: mã trong dữ liệu là {}", r.code, d.code)));
            }
            check_columns(r, &d, &workflows).map_err(AuditError::Broken)?;
            let code = DossierCode::parse(&r.code).map_err(|e| AuditError::Broken(e.to_string()))?;
            let day = r.code.rsplit('-').nth(1).unwrap_or_default().to_owned();
            issued.entry((code.unit().to_owned(), day)).or_default().push(code.sequence());
            report.dossiers += 1;
            report.events += r.events.len();
        }
    }
    for (unit, day, last) in store.dossier_sequences().await? {
        // Stored as YYYY-MM-DD; codes carry YYMMDD.
        let yymmdd: String = day.get(2..).unwrap_or_default().replace('-', "");
        let mut seqs = issued.remove(&(unit.clone(), yymmdd)).unwrap_or_default();
        seqs.sort_unstable();
        let expected: Vec<u32> = (1..=u32::try_from(last).unwrap_or(0)).collect();
        if seqs != expected {
            let missing = expected.iter().find(|n| seqs.binary_search(n).is_err());
            return Err(AuditError::Broken(match missing {
                Some(n) => format!(
                    "đơn vị {unit}, ngày {day}: thiếu hồ sơ số {n:04} (đã cấp tới {last}) — hồ sơ bị xóa ngoài ứng dụng"
                ),
                None => format!("đơn vị {unit}, ngày {day}: có hồ sơ mang số chưa từng được cấp"),
            }));
        }
    }
    if let Some(((unit, day), _)) = issued.into_iter().next() {
        return Err(AuditError::Broken(format!("đơn vị {unit}, ngày {day}: có hồ sơ nhưng không có sổ cấp số")));
    }
    Ok(report)
}
