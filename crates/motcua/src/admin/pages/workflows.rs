//! The province's procedures and workflows (`/quan-tri/thu-tuc`): which workflow each
//! procedure follows, each workflow's steps and version, a new version written as JSON (the
//! dossiers in flight keep theirs), and the procedures nobody can receive.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use motcua_domain::workflow::Workflow;
use serde::Deserialize;

use super::{DoneQuery, done, province_only, province_posted, role_text};
use crate::admin::Administration;
use crate::app::AppState;
use crate::web::page::{Nav, PageCtx, error_page, other_lang_href, render_status, server_error};
use crate::web::texts::Texts;

pub struct WorkflowView {
    code: String,
    name: String,
    version: u32,
    /// (name, role, budget percent)
    steps: Vec<(String, &'static str, u8)>,
    /// The workflow as JSON, to edit.
    json: String,
    /// Why the text just sent was not stored.
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "web/admin_procedures.html")]
struct ProceduresPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// (code, name, workflow)
    procedures: Vec<(String, String, String)>,
    workflows: Vec<WorkflowView>,
    /// (procedure code, procedure name, organisation, where the dossier would wait, role)
    unreceived: Vec<(String, String, String, String, &'static str)>,
    notice: bool,
}

/// The page, with `edited` (workflow code, text sent, why refused) shown in its editor.
async fn page(state: &AppState, cx: PageCtx, notice: bool, edited: Option<(String, String, String)>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let admin = Administration::of(state);
    let (procedures, workflows) = match admin.procedures_and_workflows().await {
        Ok(x) => x,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let missing = match admin.unreceived(state).await {
        Ok(m) => m,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let names: HashMap<String, String> = procedures.iter().map(|p| (p.code.to_string(), p.name.to_string())).collect();
    let catalog = crate::catalog::Catalog::of(state);
    let mut org_names: HashMap<String, String> = HashMap::new();
    for code in missing.iter().flat_map(|m| [&m.org, &m.place]) {
        if !org_names.contains_key(code.as_str()) {
            let name = catalog.find_organisation(code).await.ok().flatten().map(|o| o.name.to_string());
            org_names.insert(code.to_string(), name.unwrap_or_else(|| code.to_string()));
        }
    }
    let org_name = |c: &motcua_domain::OrgCode| org_names.get(c.as_str()).cloned().unwrap_or_else(|| c.to_string());
    let unreceived = missing
        .iter()
        .map(|m| {
            let code = m.procedure.to_string();
            let name = names.get(&code).cloned().unwrap_or_default();
            (code, name, org_name(&m.org), org_name(&m.place), role_text(t, m.role))
        })
        .collect();
    let has_error = edited.is_some();
    let workflows = workflows.into_iter().map(|w| view(t, w, edited.as_ref())).collect();
    let procedures = procedures.into_iter().map(|p| (p.code.to_string(), p.name.to_string(), p.workflow)).collect();
    let status = if has_error { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(
        status,
        ProceduresPage {
            t,
            nav,
            other_lang_href: other_lang_href(&uri, t.lang_value()),
            procedures,
            workflows,
            unreceived,
            notice,
        },
    )
}

fn view(t: &Texts, w: Workflow, edited: Option<&(String, String, String)>) -> WorkflowView {
    let (json, error) = match edited {
        Some((code, text, why)) if *code == w.code => (text.clone(), Some(why.clone())),
        _ => (serde_json::to_string_pretty(&w).unwrap_or_default(), None),
    };
    WorkflowView {
        code: w.code,
        name: w.name.to_string(),
        version: w.version,
        steps: w.steps.into_iter().map(|s| (s.name.to_string(), role_text(t, s.role), s.budget_percent)).collect(),
        json,
        error,
    }
}

pub(super) async fn procedures_page(
    State(state): State<AppState>,
    cx: PageCtx,
    Query(q): Query<DoneQuery>,
) -> Response {
    match province_only(&state, cx).await {
        Ok((cx, _)) => page(&state, cx, q.xong.is_some(), None).await,
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
pub struct WorkflowForm {
    csrf: String,
    workflow: String,
}

pub(super) async fn set_workflow(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Result<axum::Form<WorkflowForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (cx, account, f) = match province_posted(&state, cx, form.map(|axum::Form(f)| f), |f| &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let PageCtx { t, nav, uri, .. } = cx;
    match Administration::of(&state).set_workflow(&account, &code, &f.workflow).await {
        Ok(()) => done("/quan-tri/thu-tuc", t),
        Err(e) if e.status() == StatusCode::BAD_REQUEST => {
            let m = t.pick("Không có thủ tục hoặc quy trình này", "No such procedure or workflow").to_owned();
            error_page(StatusCode::BAD_REQUEST, t, nav, &uri, t.error_title, m)
        }
        Err(e) => server_error(t, &uri, e.message),
    }
}

#[derive(Debug, Deserialize)]
pub struct WorkflowText {
    csrf: String,
    #[serde(default)]
    body: String,
}

/// A new version of a workflow from its JSON text: stored, or the page again with the text
/// and why it was refused.
pub(super) async fn save_workflow(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(code): Path<String>,
    form: Result<axum::Form<WorkflowText>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (cx, account, f) = match province_posted(&state, cx, form.map(|axum::Form(f)| f), |f| &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = cx.t;
    let workflow: Workflow = match serde_json::from_str(&f.body) {
        Ok(w) => w,
        Err(e) => {
            let why = format!(
                "{} {e}",
                t.pick("Nội dung không phải quy trình JSON hợp lệ:", "Not a valid workflow in JSON:")
            );
            return page(&state, cx, false, Some((code, f.body, why))).await;
        }
    };
    match Administration::of(&state).save_workflow(&account, &code, workflow).await {
        Ok(_) => done("/quan-tri/thu-tuc", t),
        Err(e) if e.status().is_client_error() => page(&state, cx, false, Some((code, f.body, e.message))).await,
        Err(e) => server_error(t, &cx.uri, e.message),
    }
}
