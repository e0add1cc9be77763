//! What anyone may know of a dossier from its code: status and timeline, no personal data
//! (the public tracking page and `GET /api/v1/track/{code}`).

use crate::dossiers::*;
use motcua_domain::audit::Event;
use serde::Serialize;

use crate::calendar::source::{display_vn, rfc3339_vn};

pub(crate) fn action_label(action: &str) -> String {
    serde_json::from_value::<ActionKind>(serde_json::Value::String(action.to_owned()))
        .map(|a| a.label_vi().to_owned())
        .unwrap_or_else(|_| action.to_owned())
}

pub(crate) fn at(e: &Event) -> String {
    Timestamp::from_microsecond(e.at_us).map(rfc3339_vn).unwrap_or_default()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TrackingEntry {
    pub at: String,
    /// Machine name of the action, e.g. `receive`.
    pub action: String,
    /// `HH:MM dd/mm/yyyy`
    pub at_display: String,
    pub action_label: String,
    pub status_code: u8,
    pub status_label: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Tracking {
    pub code: DossierCode,
    pub procedure_name: String,
    pub status_code: u8,
    pub status_label: &'static str,
    pub step_name: Option<String>,
    /// The step's name in English, where the workflow gives one.
    pub step_name_en: Option<String>,
    pub submitted_at: String,
    pub submitted_at_display: String,
    pub due_at: Option<String>,
    pub due_at_display: Option<String>,
    pub finished: bool,
    pub timeline: Vec<TrackingEntry>,
    /// A linked application's branches: each one's state, dossier and due time (no officer,
    /// no personal data).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<TrackedBranch>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TrackedBranch {
    pub name: String,
    pub name_en: String,
    /// `waiting`, `never` or `started`.
    pub state: &'static str,
    pub code: Option<DossierCode>,
    pub status_code: Option<u8>,
    pub org_name: Option<String>,
    pub due_at_display: Option<String>,
}

impl Dossiers<'_> {
    /// What anyone may know of a dossier from its code (also the public tracking page).
    pub async fn tracking(&self, code: &str) -> AppResult<Tracking> {
        let code = DossierCode::parse(code)
            .map_err(|e| AppError::bad_request(ErrorCode::InvalidDossierCode, e.to_string()))?;
        let stored = self.dossiers.dossier(&code).await?.ok_or_else(|| not_found(code.as_str()))?;
        let d = &stored.dossier;
        let snap = self.snapshot().await?;
        let wf = snap.dossier_workflow(d).await?;
        let procedure_name = snap.procedure_name(&d.procedure).await?;
        let branches = self
            .branch_views(&snap, d)
            .await?
            .into_iter()
            .map(|b| TrackedBranch {
                name_en: wf.branch_name(&b.key, true).unwrap_or(&b.name).to_owned(),
                name: b.name,
                state: b.state,
                code: b.dossier,
                status_code: b.status.map(Status::code),
                org_name: b.org_name,
                due_at_display: b.due_at.map(display_vn),
            })
            .collect();
        let timeline = self
            .dossiers
            .events(&code)
            .await?
            .iter()
            .map(|e| TrackingEntry {
                at: at(e),
                at_display: Timestamp::from_microsecond(e.at_us).map(display_vn).unwrap_or_default(),
                action: e.action.clone(),
                action_label: action_label(&e.action),
                status_code: e.to_status,
                status_label: Status::from_code(e.to_status).map_or("", Status::label_vi),
            })
            .collect();
        Ok(Tracking {
            code: d.code.clone(),
            procedure_name,
            status_code: d.status.code(),
            status_label: d.status.label_vi(),
            step_name: d.step.as_deref().and_then(|k| wf.step_name(k, false)).map(str::to_owned),
            step_name_en: d.step.as_deref().and_then(|k| wf.step_name(k, true)).map(str::to_owned),
            submitted_at: rfc3339_vn(d.submitted_at),
            submitted_at_display: display_vn(d.submitted_at),
            due_at: d.due_at.map(rfc3339_vn),
            due_at_display: d.due_at.map(display_vn),
            finished: d.status.is_closed() || d.status == Status::Done,
            timeline,
            branches,
        })
    }
}
