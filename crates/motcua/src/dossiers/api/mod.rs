//! Dossiers: submission, viewing, the officer's inbox, actions, the audit timeline and the
//! public tracking page. Every change goes through `workflow::apply`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use motcua_domain::attachment::Attachment;
use motcua_domain::audit::Event;
use motcua_domain::rating::Stars;
use motcua_domain::workflow::{ActionKind, ActionRequest, Applicant, Channel, Dossier, Status, Timeliness};
use motcua_domain::{Account, AccountKind, DossierCode, OrgCode, ProcedureCode, Role};
use motcua_store::{DossierCursor, DossierFilter, DossierPage, Rating};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiResult, AppError, ErrorBody, Kind};
use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::api::page::CursorPageOf;
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::app::snapshot::Snapshot;
use crate::calendar::source::{display_vn, rfc3339_vn};
use crate::edge::CurrentAccount;

mod timeline;
mod uploads;
pub use timeline::*;
pub use uploads::*;

pub use crate::dossiers::*;

#[derive(Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub key: String,
    pub name: String,
    pub org: OrgCode,
    pub role: Role,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DossierView {
    pub code: DossierCode,
    pub procedure_code: ProcedureCode,
    pub procedure_name: String,
    /// The workflow the dossier runs under, and the version of it it started under (a
    /// workflow changed since goes on applying to new dossiers only).
    pub workflow: String,
    pub workflow_version: u32,
    /// National status code 1–10.
    pub status_code: u8,
    pub status: Status,
    pub status_label: &'static str,
    pub step: Option<StepView>,
    pub channel: Channel,
    pub desk_org: OrgCode,
    pub processing_org: OrgCode,
    pub applicant: Applicant,
    pub submitted_at: String,
    pub received_at: Option<String>,
    pub due_at: Option<String>,
    /// `HH:MM dd/mm/yyyy`
    pub due_at_display: Option<String>,
    /// Due time before an apology moved it.
    pub original_due_at: Option<String>,
    pub finished_at: Option<String>,
    /// Working minutes used since reception, not counting waiting on the applicant.
    pub time_used_minutes: Option<i64>,
    pub timeliness: Timeliness,
    pub supplement_requests: u16,
    pub apologised: bool,
    pub assignee: Option<i64>,
    /// What the viewer may do now.
    pub allowed_actions: Vec<ActionKind>,
    /// The applicant's rating, once given.
    pub rating: Option<RatingView>,
    /// Fees owed, fixed at submission.
    pub fee: Option<motcua_domain::payment::FeeQuote>,
    /// How to pay them (VietQR when requested) and the receipts issued.
    pub payment: Option<crate::payments::PaymentView>,
    /// Papers were reused from the applicant's data store (766 index: digitised data reused).
    pub reused_data: bool,
    /// The declaration filled in online, if it was (its form: `GET /api/v1/procedures/{code}/declaration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaration: Option<motcua_domain::eform::Declaration>,
    /// A linked application (liên thông): every branch of its workflow, started or not, with
    /// its dossier, organisation, state and timeliness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branches: Option<Vec<crate::dossiers::linked::BranchView>>,
    /// A branch of a linked application: the application's code, the branch, the dossiers it
    /// started from, and whether it is held for another branch's supplement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_of: Option<motcua_domain::workflow::BranchOf>,
}

/// What a dossier's view shows from beside the dossier itself: its rating and payment, read
/// for one dossier or for a whole page at once.
#[derive(Default)]
struct Beside {
    rating: Option<Rating>,
    payment: Option<crate::payments::PaymentView>,
}

impl Beside {
    /// One dossier's. `created` says it was stored by this very request, so it has neither a
    /// rating nor a receipt yet: nothing to look up.
    async fn of(state: &AppState, snap: &Snapshot<'_>, d: &Dossier, created: bool) -> ApiResult<Self> {
        Ok(Self {
            rating: if created { None } else { Dossiers::of(state).rating(d).await? },
            payment: crate::payments::Payments::of(state).payment_view(snap, d, !created).await?,
        })
    }

    /// A page's, in the page's order: one read of the ratings (none when no dossier on the
    /// page may have one), one of the receipts.
    async fn of_page(state: &AppState, snap: &Snapshot<'_>, page: &[Dossier]) -> ApiResult<Vec<Self>> {
        let mut ratings = Dossiers::of(state).ratings_of(page).await?;
        let mut payments = crate::payments::Payments::of(state).payment_views(snap, page).await?;
        Ok(page.iter().map(|d| Self { rating: ratings.remove(&d.code), payment: payments.remove(&d.code) }).collect())
    }
}

/// A dossier as the viewer sees it.
async fn view(
    state: &AppState,
    snap: &Snapshot<'_>,
    d: &Dossier,
    viewer: &Account,
    beside: Beside,
) -> ApiResult<DossierView> {
    let now = Timestamp::now();
    let wf = &snap.dossier_workflow(d).await?;
    let cal = &snap.calendar;
    let procedure_name = snap.procedure_name(&d.procedure).await?;
    let step = d.step.as_deref().and_then(|k| wf.step(k)).map(|s| StepView {
        key: s.key.clone(),
        name: s.name.as_str().to_owned(),
        org: d.placement(wf).map(|p| p.0).unwrap_or_else(|| d.desk_org.clone()),
        role: s.role,
    });
    let time_used_minutes = match d.received_at {
        Some(r) => {
            let used = cal.working_minutes_between(r, d.finished_at.unwrap_or(now)).map_err(AppError::from)?;
            Some((used - d.waiting_minutes).max(0))
        }
        None => None,
    };
    Ok(DossierView {
        code: d.code.clone(),
        procedure_code: d.procedure.clone(),
        procedure_name,
        workflow: d.workflow.clone(),
        workflow_version: d.workflow_version,
        status_code: d.status.code(),
        status: d.status,
        status_label: d.status.label_vi(),
        step,
        channel: d.channel,
        desk_org: d.desk_org.clone(),
        processing_org: d.processing_org.clone(),
        applicant: d.applicant.clone(),
        submitted_at: rfc3339_vn(d.submitted_at),
        received_at: d.received_at.map(rfc3339_vn),
        due_at: d.due_at.map(rfc3339_vn),
        due_at_display: d.due_at.map(display_vn),
        original_due_at: d.original_due_at.map(rfc3339_vn),
        finished_at: d.finished_at.map(rfc3339_vn),
        time_used_minutes,
        timeliness: d.timeliness(now),
        supplement_requests: d.supplement_requests,
        apologised: d.apologised,
        assignee: d.assignee,
        allowed_actions: d.allowed_actions(wf, actor(viewer), now),
        rating: beside.rating.map(RatingView::from),
        fee: d.fee.clone(),
        payment: beside.payment,
        reused_data: d.reused_data,
        declaration: d.declaration.clone(),
        branches: match d.group {
            Some(_) => Some(Dossiers::of(state).branch_views(snap, d).await?),
            None => None,
        },
        branch_of: d.branch_of.clone(),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (rất không hài lòng) đến 5 (rất hài lòng).
    #[schema(minimum = 1, maximum = 5)]
    pub stars: i64,
    /// Góp ý (tối đa 1.000 ký tự).
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RatingView {
    pub stars: u8,
    pub label: &'static str,
    pub comment: Option<String>,
    pub at: String,
}

impl From<Rating> for RatingView {
    fn from(r: Rating) -> Self {
        Self { stars: r.stars.get(), label: r.stars.label_vi(), comment: r.comment, at: rfc3339_vn(r.at) }
    }
}

/// The applicant rates how their dossier was handled: once, after the result is returned.
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/rating", tag = "dossiers", request_body = RatingRequest,
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = RatingView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<RatingRequest>,
) -> ApiResult<(StatusCode, Json<RatingView>)> {
    let stars = Stars::new(req.stars)?;
    let r = Dossiers::of(&state).give_rating(&current.account, &code, stars, req.comment).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Submits a dossier online (citizen), or enters one at the desk on the applicant's behalf
/// (desk officer: received at once). With an `Idempotency-Key` header a retried request
/// returns the first dossier (200) instead of creating another.
#[utoipa::path(post, path = "/api/v1/dossiers", tag = "dossiers",
    request_body(content((SubmitRequest = "application/json"), (SubmitWithFiles = "multipart/form-data"))),
    params(("Idempotency-Key" = Option<String>, Header, description = "Khóa chống gửi trùng (tối đa 200 ký tự)")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = DossierView), (status = 200, body = DossierView, description = "Khóa đã dùng: hồ sơ đã tạo"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    current: CurrentAccount,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    // A key of other bytes than text is refused as an empty one.
    let key = request.headers().get("idempotency-key").map(|v| v.to_str().unwrap_or("").to_owned());
    let mut submission = read_submission(request).await?;
    let dossiers = Dossiers::of(&state);
    let snap = dossiers.snapshot_at(current.versions.clone()).await?;
    submission.session = Some(current.token_hash.clone());
    let (stored, created) = dossiers.create_in(&snap, &current.account, key.as_deref(), submission).await?;
    let beside = Beside::of(&state, &snap, &stored.dossier, created).await?;
    let v = view(&state, &snap, &stored.dossier, &current.account, beside).await?;
    let location = format!("/api/v1/dossiers/{}", v.code);
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, [(header::LOCATION, location)], Json(v)).into_response())
}

/// One dossier: its applicant, and staff of its desk or processing organisation.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}", tag = "dossiers",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = DossierView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<DossierView>> {
    let dossiers = Dossiers::of(&state);
    let stored = dossiers.load_visible(&code, &current.account).await?;
    let snap = dossiers.snapshot_at(current.versions.clone()).await?;
    let beside = Beside::of(&state, &snap, &stored.dossier, false).await?;
    Ok(Json(view(&state, &snap, &stored.dossier, &current.account, beside).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Cán bộ: `inbox` (mặc định, hồ sơ đang chờ vai trò của mình) hoặc `all` (mọi hồ sơ của cơ quan mình).
    pub scope: Option<String>,
    /// Mã trạng thái 1–10.
    pub status: Option<u8>,
    /// Khóa bước, ví dụ `appraise`.
    pub step: Option<String>,
    /// Chỉ hồ sơ quá hạn.
    pub overdue: Option<bool>,
    /// Chỉ hồ sơ đến hạn trong 1 ngày làm việc.
    pub due_soon: Option<bool>,
    pub procedure: Option<String>,
    /// Tìm theo mã hồ sơ (hoặc một phần), họ tên người nộp (có hoặc không dấu), số CCCD, số điện thoại.
    pub q: Option<String>,
    /// Trang tiếp theo: giá trị `next` của trang trước (bỏ trống: trang đầu).
    pub after: Option<String>,
    /// Số hồ sơ mỗi trang, 1–500 (mặc định 50); số ngoài khoảng này được đưa về 1 hoặc 500, và `limit` của trang trả về cho biết số đã dùng.
    pub limit: Option<i64>,
}

/// The search words of a dossier list, bounded; `None` when blank.
pub fn search_words(q: Option<&str>) -> ApiResult<Option<String>> {
    match q.map(str::trim).filter(|q| !q.is_empty()) {
        None => Ok(None),
        Some(q) if q.chars().count() > 100 => {
            Err(AppError::bad_request(ErrorCode::InvalidQuery, "Từ khóa tìm kiếm dài quá 100 ký tự"))
        }
        Some(q) => Ok(Some(q.to_owned())),
    }
}

/// A citizen's own dossiers (latest first), or a staff member's inbox (soonest due first) or
/// every dossier of their units (`scope=all`, latest first), a page at a time: the next page
/// is the one `after` the `next` this page gives.
#[utoipa::path(get, path = "/api/v1/dossiers", tag = "dossiers", params(ListQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = CursorPageOf<DossierView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<CursorPageOf<DossierView>>> {
    let account = &current.account;
    let snap = Dossiers::of(&state).snapshot_at(current.versions.clone()).await?;
    let cal = &snap.calendar;
    let now = Timestamp::now();
    let mut filter = DossierFilter {
        status: q
            .status
            .map(|c| {
                Status::from_code(c)
                    .ok_or_else(|| AppError::bad_request(ErrorCode::InvalidQuery, "Mã trạng thái phải từ 1 đến 10"))
            })
            .transpose()?,
        step: q.step.clone(),
        procedure: q.procedure.as_deref().map(ProcedureCode::parse).transpose()?,
        search: search_words(q.q.as_deref())?,
        ..Default::default()
    };
    match account.kind {
        AccountKind::Citizen => filter.owner = Some(account.id),
        AccountKind::Staff => match q.scope.as_deref() {
            None | Some("inbox") => {
                filter.waiting_at = Some(account.roles.iter().map(|r| (r.org.clone(), r.role)).collect())
            }
            Some("all") => filter.involving = Some(account.organisations().into_iter().cloned().collect()),
            Some(_) => return Err(AppError::bad_request(ErrorCode::InvalidQuery, "scope phải là inbox hoặc all")),
        },
    }
    if q.overdue == Some(true) {
        filter.open_due_before = Some(now);
    } else if q.due_soon == Some(true) {
        let minutes = cal.rules().hours.minutes_per_day();
        filter.open_due_before = Some(cal.add_working_minutes_from(now, minutes).map_err(AppError::from)?);
    }
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(raw) => Some(DossierCursor::parse(raw).filter(|c| c.order() == filter.order()).ok_or_else(|| {
            AppError::bad_request(ErrorCode::InvalidQuery, "Giá trị after không phải là next của danh sách này")
        })?),
    };
    let page = DossierPage::after(after, q.limit.unwrap_or(50));
    let found = Dossiers::of(&state).list(&filter, &page).await?;
    let mut items = Vec::with_capacity(found.items.len());
    for (d, beside) in found.items.iter().zip(Beside::of_page(&state, &snap, &found.items).await?) {
        items.push(view(&state, &snap, d, account, beside).await?);
    }
    Ok(Json(CursorPageOf::new(items, &found, page.limit)))
}

/// Takes an action on a dossier. A wrong action for the step or role is refused (409 or 403)
/// and changes nothing; so is acting on a version someone else has just changed.
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/actions", tag = "dossiers",
    request_body(content((ActionRequest = "application/json"), (ActionWithFiles = "multipart/form-data"))),
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = DossierView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
    request: axum::extract::Request,
) -> ApiResult<Json<DossierView>> {
    let (req, files, _) = read_json_and_files::<ActionRequest>(request, "action").await?;
    let dossiers = Dossiers::of(&state);
    let snap = dossiers.snapshot_at(current.versions.clone()).await?;
    let d = dossiers.perform_in(&snap, &current.account, &code, &req, files).await?;
    let beside = Beside::of(&state, &snap, &d, false).await?;
    Ok(Json(view(&state, &snap, &d, &current.account, beside).await?))
}
