//! What a dossier's page shows of a linked application (liên thông): on the application,
//! every branch with its state, organisation, step, officer, due time and result; on a
//! branch, the application it belongs to, what it started from and whether it waits.

use motcua_domain::workflow::{Delivery, Dossier, Timeliness};

use crate::app::{AppError, AppState};
use crate::calendar::source::display_vn;
use crate::dossiers::Dossiers;
use crate::web::page::status_text;
use crate::web::texts::Texts;

pub struct BranchRow {
    pub name: String,
    /// Its dossier's code, once started (linked to its page).
    pub code: String,
    pub state: String,
    pub org: String,
    pub step: String,
    pub officer: String,
    pub due: String,
    pub timeliness: &'static str,
    pub late: bool,
    /// The branch it waits for (a supplement there), if any.
    pub held_by: String,
    pub result: String,
}

pub struct LinkedBox {
    /// On a branch: the application's code and this branch's name.
    pub group: Option<(String, String)>,
    /// On a branch held for another's supplement: that branch's name.
    pub held_by: String,
    /// On a branch: the dossiers it started from.
    pub inputs: Vec<String>,
    /// On the application: its branches.
    pub branches: Vec<BranchRow>,
    pub together: bool,
}

fn timeliness_text(t: &Texts, x: Timeliness) -> (&'static str, bool) {
    match x {
        Timeliness::Early => (t.pick("Sớm hạn", "Early"), false),
        Timeliness::OnTime => (t.pick("Đúng hạn", "On time"), false),
        Timeliness::Late => (t.pick("Trễ hạn", "Late"), true),
        Timeliness::Pending => (t.pick("Trong hạn", "Within the time limit"), false),
        Timeliness::Overdue => (t.pick("Quá hạn", "Overdue"), true),
    }
}

/// The box for an application or a branch; `None` for any other dossier.
pub(crate) async fn linked_box(state: &AppState, t: &Texts, d: &Dossier) -> Result<Option<LinkedBox>, AppError> {
    let dossiers = Dossiers::of(state);
    let snap = dossiers.snapshot().await?;
    let english = t.lang == "en";
    if let Some(b) = &d.branch_of {
        let group = dossiers.load_any(&b.group).await?;
        let wf = snap.dossier_workflow(&group).await?;
        let name = |key: &str| wf.branch_name(key, english).unwrap_or(key).to_owned();
        return Ok(Some(LinkedBox {
            group: Some((b.group.to_string(), name(&b.branch))),
            held_by: b.held.as_ref().map(|h| name(&h.by)).unwrap_or_default(),
            inputs: b.inputs.iter().map(ToString::to_string).collect(),
            branches: Vec::new(),
            together: b.together,
        }));
    }
    if d.group.is_none() {
        return Ok(None);
    }
    let wf = snap.dossier_workflow(d).await?;
    let name = |key: &str| wf.branch_name(key, english).unwrap_or(key).to_owned();
    let branches = dossiers
        .branch_views(&snap, d)
        .await?
        .into_iter()
        .map(|v| {
            let (timeliness, late) = v.timeliness.map_or(("", false), |x| timeliness_text(t, x));
            let state = match v.state {
                "waiting" => t.pick("Chờ kết quả nhánh trước", "Waiting for the branches it needs").to_owned(),
                "never" => t.pick("Không thực hiện", "Not to be processed").to_owned(),
                _ => v.status.map(|s| status_text(t, s.code()).to_owned()).unwrap_or_default(),
            };
            BranchRow {
                name: name(&v.key),
                code: v.dossier.map(|c| c.to_string()).unwrap_or_default(),
                state,
                org: v.org_name.unwrap_or_default(),
                step: if english { v.step_name_en } else { v.step_name }.unwrap_or_default(),
                officer: v.officer.unwrap_or_default(),
                due: v.due_at.map(display_vn).unwrap_or_default(),
                timeliness,
                late,
                held_by: v.held_by.as_deref().map(name).unwrap_or_default(),
                result: v.result.unwrap_or_default(),
            }
        })
        .collect();
    Ok(Some(LinkedBox {
        group: None,
        held_by: String::new(),
        inputs: Vec::new(),
        branches,
        together: wf.delivery == Delivery::Together,
    }))
}
