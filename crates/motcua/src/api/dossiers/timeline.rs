//! A dossier's history: the audit timeline for those who may see the dossier, and the public
//! tracking by code (status, step, due time, no personal data).

use super::*;

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub at: String,
    /// Who acted: `applicant`, `staff:<username>` for staff viewers, `staff` for the
    /// applicant (officers' usernames are sign-in names, not for the public), or a machine
    /// (`gateway:<name>`, `system`).
    pub actor: String,
    /// The actor as a person reads it: the officer's name and role, or "Người nộp hồ sơ".
    pub actor_name: String,
    pub action: String,
    pub action_label: String,
    pub from_status: Option<u8>,
    pub to_status: u8,
    pub from_step: Option<String>,
    pub to_step: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub hash: String,
}

pub(super) fn action_label(action: &str) -> String {
    serde_json::from_value::<ActionKind>(serde_json::Value::String(action.to_owned()))
        .map(|a| a.label_vi().to_owned())
        .unwrap_or_else(|_| action.to_owned())
}

pub(super) fn at(e: &Event) -> String {
    Timestamp::from_microsecond(e.at_us).map(rfc3339_vn).unwrap_or_default()
}

/// The dossier's audit trail: every event with its hash.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/events", tag = "dossiers",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<EventView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<Vec<EventView>>> {
    let stored = load_visible(&state, &code, &current.account).await?;
    let events = state.store.events(&stored.dossier.code).await?;
    let staff_viewer = current.account.kind == AccountKind::Staff;
    let d = &stored.dossier;
    // Each officer once: name, and role in the dossier's organisations.
    let mut officers = std::collections::HashMap::new();
    for e in &events {
        if let Some(u) = e.actor.strip_prefix("staff:")
            && !officers.contains_key(u)
        {
            let account = match motcua_domain::Username::parse(u) {
                Ok(name) => state.store.account_credentials(&name).await?.map(|(a, _)| a),
                Err(_) => None,
            };
            let shown = account.map_or_else(
                || "Cán bộ".to_owned(),
                |a| {
                    let role = a.roles.iter().find(|r| r.org == d.desk_org || r.org == d.processing_org);
                    match role {
                        Some(r) => format!("{} ({})", a.full_name, r.role.label_vi()),
                        None => format!("{} (Cán bộ)", a.full_name),
                    }
                },
            );
            officers.insert(u.to_owned(), shown);
        }
    }
    let shown = |actor: &str| match actor.strip_prefix("staff:") {
        Some(u) => officers.get(u).cloned().unwrap_or_else(|| "Cán bộ".to_owned()),
        None if actor == "applicant" => "Người nộp hồ sơ".to_owned(),
        None => "Hệ thống".to_owned(),
    };
    Ok(Json(
        events
            .iter()
            .map(|e| EventView {
                seq: e.seq,
                at: at(e),
                actor: if staff_viewer || !e.actor.starts_with("staff:") {
                    e.actor.clone()
                } else {
                    "staff".to_owned()
                },
                actor_name: shown(&e.actor),
                action: e.action.clone(),
                action_label: action_label(&e.action),
                from_status: e.from_status,
                to_status: e.to_status,
                from_step: e.from_step.clone(),
                to_step: e.to_step.clone(),
                details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
                hash: e.hash.clone(),
            })
            .collect(),
    ))
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
}

/// Public tracking by dossier code: status and timeline, no personal data.
#[utoipa::path(get, path = "/api/v1/track/{code}", tag = "dossiers",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    responses((status = 200, body = Tracking), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn track(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<Tracking>> {
    Ok(Json(tracking(&state, &code).await?))
}

/// What anyone may know of a dossier from its code (also the public tracking page).
pub async fn tracking(state: &AppState, code: &str) -> ApiResult<Tracking> {
    let code =
        DossierCode::parse(code).map_err(|e| AppError::bad_request(ErrorCode::InvalidDossierCode, e.to_string()))?;
    let stored = state.store.dossier(&code).await?.ok_or_else(|| not_found(code.as_str()))?;
    let d = &stored.dossier;
    let wf = workflow_of(state, &d.workflow).await?;
    let procedure_name = state
        .store
        .procedure(&d.procedure)
        .await?
        .map(|p| p.name.as_str().to_owned())
        .unwrap_or_else(|| d.procedure.to_string());
    let timeline = state
        .store
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
    })
}
