//! A dossier's history: the audit timeline for those who may see the dossier, and the public
//! tracking by code (status, step, due time, no personal data).

use crate::dossiers::api::*;

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
    let dossiers = Dossiers::of(&state);
    let stored = dossiers.load_visible(&code, &current.account).await?;
    let events = dossiers.events(&stored.dossier.code).await?;
    let staff_viewer = current.account.kind == AccountKind::Staff;
    let d = &stored.dossier;
    // Each officer once: name, and role in the dossier's organisations.
    let mut officers = std::collections::HashMap::new();
    for e in &events {
        if let Some(u) = e.actor.strip_prefix("staff:")
            && !officers.contains_key(u)
        {
            let account = match motcua_domain::Username::parse(u) {
                Ok(name) => dossiers.staff_account(&name).await?,
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

/// Public tracking by dossier code: status and timeline, no personal data.
#[utoipa::path(get, path = "/api/v1/track/{code}", tag = "dossiers",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    responses((status = 200, body = Tracking), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn track(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<Tracking>> {
    Ok(Json(Dossiers::of(&state).tracking(&code).await?))
}
