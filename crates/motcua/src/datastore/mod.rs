//! The citizen's data store (kho dữ liệu, Decree 45/2020): the results returned to them and
//! the papers of theirs the state accepted, ready to attach to a later dossier instead of
//! uploading again. Such dossiers are flagged as reusing digitised data (766 index).

pub mod api;

use motcua_domain::attachment::{Attachment, AttachmentKind};
use motcua_domain::workflow::Status;
use motcua_domain::{Account, AccountKind};
use motcua_store::{CatalogStore, DossierFilter, DossierStore};
use serde::{Deserialize, Serialize};

use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::source::display_vn;

/// A paper in the store.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredPaper {
    /// SHA-256 of the content: what a submission names to reuse it.
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// `result` (issued by the state) or `paper` (given by the citizen, accepted).
    pub kind: &'static str,
    /// The dossier it came from.
    pub dossier: String,
    pub procedure: String,
    pub at: String,
}

/// What a submission reuses from the store.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reuse {
    pub sha256: String,
    /// The procedure's component it answers (0-based).
    #[serde(default)]
    pub component: Option<i32>,
}

/// At most this many papers are offered, from at most this many of the newest dossiers: the
/// store lists what is likely to be reused, and its cost stays bounded for an applicant with
/// thousands of dossiers (a business, or the load generator).
pub const MAX_PAPERS: usize = 50;

pub const MAX_DOSSIERS_SCANNED: i64 = 100;

/// The data store's use cases, holding the dossiers (whose papers it offers) and the catalog
/// (the procedures' names). Built per request from the shared state.
pub struct Papers<'a> {
    catalog: &'a dyn CatalogStore,
    dossiers: &'a dyn DossierStore,
}

impl<'a> Papers<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Self { catalog: state.store.as_ref(), dossiers: state.store.as_ref() }
    }

    /// The account's store, newest first, one entry per content.
    pub async fn papers(&self, account: &Account) -> AppResult<Vec<(StoredPaper, Attachment)>> {
        if account.kind != AccountKind::Citizen {
            return Ok(vec![]);
        }
        let filter = DossierFilter { owner: Some(account.id), ..Default::default() };
        let page = motcua_store::DossierPage::first(MAX_DOSSIERS_SCANNED);
        let dossiers = self.dossiers.list_dossiers(&filter, &page).await?.items;
        let mut out: Vec<(StoredPaper, Attachment)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut names = std::collections::HashMap::new();
        for d in dossiers {
            if out.len() >= MAX_PAPERS {
                break;
            }
            let accepted = d.received_at.is_some() && !matches!(d.status, Status::NotAccepted | Status::Withdrawn);
            if !accepted && d.status != Status::Returned {
                continue;
            }
            let procedure = match names.get(&d.procedure) {
                Some(name) => String::clone(name),
                None => {
                    let name = self
                        .catalog
                        .procedure(&d.procedure)
                        .await?
                        .map_or_else(|| d.procedure.to_string(), |p| p.name.to_string());
                    names.insert(d.procedure.clone(), name.clone());
                    name
                }
            };
            for a in self.dossiers.attachments(&d.code).await? {
                let kind = match a.kind {
                    AttachmentKind::Result if d.status == Status::Returned => "result",
                    AttachmentKind::Applicant | AttachmentKind::Supplement if accepted => "paper",
                    _ => continue,
                };
                if out.len() >= MAX_PAPERS || !seen.insert(a.sha256.clone()) {
                    continue;
                }
                out.push((
                    StoredPaper {
                        sha256: a.sha256.clone(),
                        filename: a.filename.clone(),
                        content_type: a.content_type.clone(),
                        size: a.size,
                        kind,
                        dossier: d.code.to_string(),
                        procedure: procedure.clone(),
                        at: display_vn(d.finished_at.or(d.received_at).unwrap_or(d.submitted_at)),
                    },
                    a,
                ));
            }
        }
        Ok(out)
    }

    /// The attachments a submission reuses, numbered after `first_index`; every one must be in
    /// the applicant's store.
    pub async fn resolve(&self, account: &Account, reuse: &[Reuse], first_index: i32) -> AppResult<Vec<Attachment>> {
        if reuse.is_empty() {
            return Ok(vec![]);
        }
        if reuse.len() > motcua_domain::attachment::MAX_FILES {
            return Err(AppError::bad_request(ErrorCode::TooManyFiles, "Quá nhiều giấy tờ dùng lại"));
        }
        let store = self.papers(account).await?;
        let mut out = Vec::new();
        for (i, r) in reuse.iter().enumerate() {
            let Some((_, a)) = store.iter().find(|(p, _)| p.sha256 == r.sha256) else {
                return Err(AppError::new(
                    Kind::Unprocessable,
                    ErrorCode::NotInDataStore,
                    format!(
                        "Giấy tờ {} không có trong kho dữ liệu của Ông/Bà",
                        r.sha256.chars().take(12).collect::<String>()
                    ),
                ));
            };
            out.push(Attachment {
                index: first_index + i32::try_from(i).unwrap_or(0),
                component: r.component,
                kind: AttachmentKind::Applicant,
                ..a.clone()
            });
        }
        Ok(out)
    }
}
