//! Dossiers: submission, viewing, the officer's inbox, actions, the audit timeline and the
//! public tracking page. Every change goes through `workflow::apply`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use motcua_domain::attachment::{self as files, Attachment};
use motcua_domain::audit::{Event, EventDraft, sha256_hex};
use motcua_domain::calendar::WorkCalendar;
use motcua_domain::rating::Stars;
use motcua_domain::workflow::{
    self, ActionError, ActionKind, ActionRequest, Actor, Applicant, Channel, Context, Dossier, Status, Timeliness,
    Workflow,
};
use motcua_domain::{Account, AccountKind, DossierCode, OrgCode, OrgKind, ProcedureCode, Role};
use motcua_store::{CreateOutcome, DossierFilter, IdempotencyKey, OrgFilter, Page, Rating, StoreError, StoredDossier};
use serde::{Deserialize, Serialize};

use super::PageOf;
use super::error::{ApiResult, AppError, ErrorBody, Kind};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::calendar::{display_vn, rfc3339_vn};
use crate::edge::CurrentAccount;

mod timeline;
mod uploads;
pub use timeline::*;
pub use uploads::*;

impl From<ActionError> for AppError {
    fn from(e: ActionError) -> Self {
        let status = match e {
            ActionError::Closed { .. } | ActionError::NotNow { .. } => Kind::Conflict,
            ActionError::Forbidden { .. } => Kind::Forbidden,
            ActionError::Invalid(_) => Kind::Invalid,
        };
        AppError::new(status, ErrorCode::from(&e), e.to_string())
    }
}

fn not_found(code: &str) -> AppError {
    AppError::not_found(format!("Không tìm thấy hồ sơ {code}"))
}

/// Who may see a dossier: its applicant, and staff of the desk or the processing organisation.
/// Anyone else is told it does not exist.
fn can_view(d: &Dossier, viewer: &Account) -> bool {
    match viewer.kind {
        AccountKind::Citizen => d.owner_account == Some(viewer.id),
        AccountKind::Staff => {
            !viewer.disabled && viewer.roles.iter().any(|r| r.org == d.desk_org || r.org == d.processing_org)
        }
    }
}

pub(crate) fn actor(viewer: &Account) -> Actor<'_> {
    match viewer.kind {
        AccountKind::Citizen => Actor::Applicant { account_id: Some(viewer.id) },
        AccountKind::Staff => Actor::Staff(viewer),
    }
}

pub(crate) async fn workflow_of(state: &AppState, code: &str) -> ApiResult<Workflow> {
    state.store.workflows().await?.into_iter().find(|w| w.code == code).ok_or_else(|| {
        tracing::error!(workflow = code, "workflow missing");
        AppError::internal()
    })
}

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
    pub payment: Option<super::payments::PaymentView>,
    /// Papers were reused from the applicant's data store (766 index: digitised data reused).
    pub reused_data: bool,
}

async fn view(
    state: &AppState,
    wf: &Workflow,
    cal: &WorkCalendar,
    d: &Dossier,
    viewer: &Account,
) -> ApiResult<DossierView> {
    let now = Timestamp::now();
    let procedure_name = state
        .store
        .procedure(&d.procedure)
        .await?
        .map(|p| p.name.as_str().to_owned())
        .unwrap_or_else(|| d.procedure.to_string());
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
        rating: state.store.rating(&d.code).await?.map(RatingView::from),
        fee: d.fee.clone(),
        payment: super::payments::payment_view(state, d).await?,
        reused_data: d.reused_data,
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
    let r = give_rating(&state, &current.account, &code, stars, req.comment).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Records a rating (API or web form).
pub(crate) async fn give_rating(
    state: &AppState,
    account: &Account,
    code: &str,
    stars: Stars,
    comment: Option<String>,
) -> ApiResult<Rating> {
    let stored = load_visible(state, code, account).await?;
    if stored.dossier.owner_account != Some(account.id) {
        return Err(AppError::new(Kind::Forbidden, ErrorCode::NotApplicant, "Chỉ người nộp hồ sơ được đánh giá"));
    }
    if stored.dossier.status != Status::Returned {
        return Err(AppError::new(
            Kind::Conflict,
            ErrorCode::NotReturned,
            "Chỉ đánh giá được sau khi đã nhận kết quả giải quyết",
        ));
    }
    let comment = comment.map(|c| motcua_domain::text::nfc(c.trim())).filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        return Err(AppError::bad_request(ErrorCode::InvalidText, "Góp ý tối đa 1.000 ký tự"));
    }
    let rating =
        Rating { dossier: stored.dossier.code.clone(), account_id: account.id, stars, comment, at: Timestamp::now() };
    if !state.store.rate(&rating).await? {
        return Err(AppError::new(Kind::Conflict, ErrorCode::AlreadyRated, "Hồ sơ này đã được đánh giá"));
    }
    state.dossiers_changed();
    tracing::info!(code = %rating.dossier, stars = stars.get(), "dossier rated");
    Ok(rating)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub procedure: ProcedureCode,
    /// Processing organisation; may be left out when the procedure has only one.
    #[serde(default)]
    pub org: Option<OrgCode>,
    /// One-stop desk that receives it; by default the processing organisation's service
    /// centre, or the organisation itself.
    #[serde(default)]
    pub desk: Option<OrgCode>,
    /// Required when a desk officer enters a dossier; a citizen's comes from their account.
    #[serde(default)]
    pub applicant: Option<Applicant>,
    /// Desk officers: `in_person` (default) or `post`.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Copies asked for (per-copy fees multiply by it); 1 by default.
    #[serde(default)]
    pub copies: Option<u16>,
    /// Applicant groups claimed for fee exemptions (the desk checks the proof).
    #[serde(default)]
    pub exemptions: Vec<motcua_domain::payment::ExemptGroup>,
    /// Papers from the applicant's data store attached instead of uploaded again.
    #[serde(default)]
    pub reuse: Vec<super::datastore::Reuse>,
}

fn unprocessable(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::new(Kind::Unprocessable, code, message)
}

/// Submits a dossier online (citizen), or enters one at the desk on the applicant's behalf
/// (desk officer: received at once). With an `Idempotency-Key` header a retried request
/// returns the first dossier (200) instead of creating another.
#[utoipa::path(post, path = "/api/v1/dossiers", tag = "dossiers", request_body = SubmitRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Khóa chống gửi trùng (tối đa 200 ký tự)")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = DossierView), (status = 200, body = DossierView, description = "Khóa đã dùng: hồ sơ đã tạo"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    current: CurrentAccount,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let headers = request.headers().clone();
    let submission = read_submission(request).await?;
    let (stored, created) = create(&state, &current.account, &headers, submission).await?;
    let wf = workflow_of(&state, &stored.dossier.workflow).await?;
    let cal = state.calendar.current(&state.store).await?;
    let v = view(&state, &wf, &cal, &stored.dossier, &current.account).await?;
    let location = format!("/api/v1/dossiers/{}", v.code);
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, [(header::LOCATION, location)], Json(v)).into_response())
}

/// Refuses a citizen's submission past their 24-hour quotas (429 `daily_quota_exceeded`),
/// before any of its files is written.
async fn within_daily_quota(state: &AppState, account: &Account, new_bytes: i64) -> ApiResult<()> {
    let q = state.settings.quotas;
    if q.dossiers_per_day == 0 && q.bytes_per_day == 0 {
        return Ok(());
    }
    let (dossiers, bytes) =
        state.store.submitted_since(account.id, Timestamp::now() - SignedDuration::from_hours(24)).await?;
    let too_many = q.dossiers_per_day > 0 && dossiers >= q.dossiers_per_day;
    let too_large = q.bytes_per_day > 0 && bytes.saturating_add(new_bytes) > q.bytes_per_day;
    if too_many || too_large {
        tracing::info!(account_id = account.id, dossiers, bytes, "daily submission quota reached");
        let message = if too_many {
            format!(
                "Mỗi tài khoản nộp tối đa {} hồ sơ trong 24 giờ; vui lòng nộp tiếp vào ngày mai",
                q.dossiers_per_day
            )
        } else {
            format!(
                "Mỗi tài khoản gửi tối đa {} MB tệp trong 24 giờ; vui lòng nộp tiếp vào ngày mai",
                q.bytes_per_day / (1024 * 1024)
            )
        };
        return Err(AppError::new(Kind::TooMany, ErrorCode::DailyQuotaExceeded, message));
    }
    Ok(())
}

/// The organisation that processes the dossier (one of the procedure's) and the desk that
/// receives it (the one asked for, else the organisation's service centre, else itself).
async fn processing_and_desk(
    state: &AppState,
    req: &SubmitRequest,
    procedure: &motcua_domain::Procedure,
) -> ApiResult<(OrgCode, OrgCode)> {
    let org = match (&req.org, procedure.organisations.as_slice()) {
        (Some(o), orgs) if orgs.contains(o) => o.clone(),
        (Some(o), _) => {
            return Err(unprocessable(
                ErrorCode::OrgNotForProcedure,
                format!("Cơ quan {o} không giải quyết thủ tục này"),
            ));
        }
        (None, [only]) => only.clone(),
        (None, _) => return Err(AppError::bad_request(ErrorCode::OrgRequired, "Cần chọn cơ quan giải quyết (org)")),
    };
    let desk = match &req.desk {
        Some(d) => {
            state
                .store
                .organisation(d)
                .await?
                .ok_or_else(|| unprocessable(ErrorCode::UnknownOrg, format!("Không có cơ quan {d}")))?;
            d.clone()
        }
        None => {
            let centres = state
                .store
                .list_organisations(
                    &OrgFilter { parent: Some(org.clone()), kind: Some(OrgKind::ServiceCentre), unit: None },
                    Page::default(),
                )
                .await?;
            centres.items.into_iter().next().map(|c| c.code).unwrap_or_else(|| org.clone())
        }
    };
    Ok((org, desk))
}

/// Who applies and how: a citizen online for themselves (or for whom they name), a desk
/// officer of the receiving desk for an applicant at the counter or by post. (applicant, owning
/// account, channel, received at once)
fn applicant_and_channel(
    account: &Account,
    req: &SubmitRequest,
    procedure: &motcua_domain::Procedure,
    desk: &OrgCode,
) -> ApiResult<(Applicant, Option<i64>, Channel, bool)> {
    Ok(match account.kind {
        AccountKind::Citizen => {
            if procedure.online == motcua_domain::OnlineLevel::None {
                return Err(unprocessable(
                    ErrorCode::NotOnline,
                    "Thủ tục này chưa được cung cấp trực tuyến; vui lòng nộp tại Bộ phận Một cửa",
                ));
            }
            if req.channel.is_some_and(|c| c != Channel::Online) {
                return Err(AppError::bad_request(ErrorCode::InvalidChannel, "Công dân nộp trực tuyến"));
            }
            let applicant = req.applicant.clone().unwrap_or_else(|| Applicant {
                full_name: account.full_name.clone(),
                cccd: account.cccd.clone(),
                phone: account.phone.clone(),
                email: account.email.clone(),
                address: None,
            });
            (applicant, Some(account.id), Channel::Online, false)
        }
        AccountKind::Staff => {
            if !account.can_act(desk, Role::DeskOfficer) {
                return Err(AppError::forbidden());
            }
            let applicant = req.applicant.clone().ok_or_else(|| {
                AppError::bad_request(ErrorCode::ApplicantRequired, "Cần thông tin người nộp hồ sơ (applicant)")
            })?;
            let channel = req.channel.unwrap_or(Channel::InPerson);
            if channel == Channel::Online {
                return Err(AppError::bad_request(
                    ErrorCode::InvalidChannel,
                    "Hồ sơ nhận tại quầy có kênh in_person hoặc post",
                ));
            }
            (applicant, None, channel, true)
        }
    })
}

/// The `Idempotency-Key` header, if sent: 1–200 characters, kept with the request's hash.
fn idempotency_key(headers: &HeaderMap, account: &Account, request_hash: &str) -> ApiResult<Option<IdempotencyKey>> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    let k = v.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 200).ok_or_else(|| {
        AppError::bad_request(ErrorCode::InvalidIdempotencyKey, "Idempotency-Key phải là chuỗi 1–200 ký tự")
    })?;
    Ok(Some(IdempotencyKey { account_id: account.id, key: k.to_owned(), request_hash: request_hash.to_owned() }))
}

/// Creates a dossier from a submission (API or web form): the stored dossier, and whether it
/// is new (false: an idempotent retry).
pub(crate) async fn create(
    state: &AppState,
    account: &Account,
    headers: &HeaderMap,
    submission: Submission,
) -> ApiResult<(StoredDossier, bool)> {
    let Submission { req, files, request_hash } = submission;
    let procedure =
        state.store.procedure(&req.procedure).await?.ok_or_else(|| {
            unprocessable(ErrorCode::UnknownProcedure, format!("Không có thủ tục mã {}", req.procedure))
        })?;
    let wf = workflow_of(state, &procedure.workflow).await?;
    let (org, desk) = processing_and_desk(state, &req, &procedure).await?;
    let (applicant, owner, channel, at_desk) = applicant_and_channel(account, &req, &procedure, &desk)?;
    let key = idempotency_key(headers, account, &request_hash)?;
    if account.kind == AccountKind::Citizen {
        let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
        within_daily_quota(state, account, i64::try_from(bytes).unwrap_or(i64::MAX)).await?;
    }
    // Files go to disk first, durably; the dossier that refers to them commits after.
    let mut attachments = store_files(state, files, files::AttachmentKind::Applicant).await?;
    let reused = super::datastore::resolve(state, account, &req.reuse, attachments.len() as i32 + 1).await?;
    let reuses_data = !reused.is_empty();
    attachments.extend(reused);
    if let Some(n) = attachments.iter().filter_map(|a| a.component).find(|n| *n as usize >= procedure.components.len())
    {
        return Err(AppError::bad_request(
            ErrorCode::InvalidComponent,
            format!("Thủ tục không có thành phần hồ sơ số {n}"),
        ));
    }
    let cal = state.calendar.current(&state.store).await?;
    let now = Timestamp::now();
    let day = now.to_zoned(motcua_domain::calendar::vietnam()).date();
    let files_detail: Vec<serde_json::Value> =
        attachments.iter().map(|a| serde_json::json!({"index": a.index, "sha256": a.sha256})).collect();
    let actor_label = match account.kind {
        AccountKind::Citizen => "applicant".to_owned(),
        AccountKind::Staff => format!("staff:{}", account.username),
    };
    let fee = if procedure.fees.is_empty() {
        None
    } else {
        Some(
            motcua_domain::payment::quote(&procedure, req.copies.unwrap_or(1), &req.exemptions, channel.rate())
                .map_err(|e| AppError::bad_request(ErrorCode::InvalidValue, e.to_string()))?,
        )
    };
    let build = |code: DossierCode| {
        let mut d = workflow::new_dossier(
            &wf,
            &cal,
            code,
            procedure.code.clone(),
            procedure.time_limit,
            applicant.clone(),
            owner,
            channel,
            desk.clone(),
            org.clone(),
            at_desk,
            now,
        )
        .map_err(|e| e.to_string())?;
        d.fee = fee.clone();
        d.reused_data = reuses_data;
        let draft = EventDraft {
            at_us: now.as_microsecond(),
            actor_account: Some(account.id),
            actor: actor_label.clone(),
            action: if at_desk { "receive" } else { "submit" }.to_owned(),
            from_status: None,
            to_status: d.status.code(),
            from_step: None,
            to_step: d.step.clone(),
            details: serde_json::json!({ "channel": channel.as_str(), "attachments": files_detail }).to_string(),
        };
        let placement = d.placement(&wf);
        Ok((d, placement, draft))
    };
    let outcome = match state.store.create_dossier(&desk, day, key.as_ref(), &attachments, &build).await {
        Err(StoreError::Conflict(_)) if key.is_some() => {
            // The same key raced with itself: the other request won; answer as a retry.
            state.store.create_dossier(&desk, day, key.as_ref(), &attachments, &build).await?
        }
        other => other?,
    };
    let (stored, status) = match outcome {
        CreateOutcome::Created(c) => (c.0, StatusCode::CREATED),
        CreateOutcome::Existing { code, request_hash } => {
            if key.as_ref().is_some_and(|k| k.request_hash != request_hash) {
                return Err(unprocessable(
                    ErrorCode::IdempotencyKeyReused,
                    "Idempotency-Key đã được dùng cho một yêu cầu khác",
                ));
            }
            (state.store.dossier(&code).await?.ok_or_else(|| not_found(code.as_str()))?, StatusCode::OK)
        }
    };
    state.dossiers_changed();
    tracing::info!(code = %stored.dossier.code, "dossier created");
    Ok((stored, status == StatusCode::CREATED))
}

pub(crate) async fn load_visible(state: &AppState, code: &str, viewer: &Account) -> ApiResult<StoredDossier> {
    let code =
        DossierCode::parse(code).map_err(|e| AppError::bad_request(ErrorCode::InvalidDossierCode, e.to_string()))?;
    let stored = state.store.dossier(&code).await?.ok_or_else(|| not_found(code.as_str()))?;
    if !can_view(&stored.dossier, viewer) {
        return Err(not_found(code.as_str()));
    }
    Ok(stored)
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
    let stored = load_visible(&state, &code, &current.account).await?;
    let wf = workflow_of(&state, &stored.dossier.workflow).await?;
    let cal = state.calendar.current(&state.store).await?;
    Ok(Json(view(&state, &wf, &cal, &stored.dossier, &current.account).await?))
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
    pub offset: Option<i64>,
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

/// A citizen's own dossiers, or a staff member's inbox, soonest due first.
#[utoipa::path(get, path = "/api/v1/dossiers", tag = "dossiers", params(ListQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<DossierView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<PageOf<DossierView>>> {
    let account = &current.account;
    let cal = state.calendar.current(&state.store).await?;
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
    let page = Page::new(q.offset, q.limit);
    let found = state.store.list_dossiers(&filter, page).await?;
    let workflows = state.store.workflows().await?;
    let mut items = Vec::with_capacity(found.items.len());
    for d in &found.items {
        let wf = workflows.iter().find(|w| w.code == d.workflow).ok_or_else(AppError::internal)?;
        items.push(view(&state, wf, &cal, d, account).await?);
    }
    Ok(Json(PageOf { items, total: found.total, offset: page.offset, limit: page.limit }))
}

/// Takes an action on a dossier. A wrong action for the step or role is refused (409 or 403)
/// and changes nothing; so is acting on a version someone else has just changed.
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/actions", tag = "dossiers", request_body = ActionRequest,
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
    let d = perform(&state, &current.account, &code, &req, files).await?;
    let wf = workflow_of(&state, &d.workflow).await?;
    let cal = state.calendar.current(&state.store).await?;
    Ok(Json(view(&state, &wf, &cal, &d, &current.account).await?))
}

/// Which files an action may bring: the applicant's supplement, or the result (at signing,
/// completion or return). Other actions take none.
pub(crate) fn files_for(action: ActionKind) -> Option<files::AttachmentKind> {
    match action {
        ActionKind::Supplement => Some(files::AttachmentKind::Supplement),
        ActionKind::Sign | ActionKind::MarkDone | ActionKind::ReturnResult => Some(files::AttachmentKind::Result),
        _ => None,
    }
}

/// Takes an action (API or web form), with the files it brings: the dossier after it.
pub(crate) async fn perform(
    state: &AppState,
    account: &Account,
    code: &str,
    req: &ActionRequest,
    uploads: Vec<Upload>,
) -> ApiResult<Dossier> {
    let stored = load_visible(state, code, account).await?;
    let wf = workflow_of(state, &stored.dossier.workflow).await?;
    let cal = state.calendar.current(&state.store).await?;
    if let Some(to) = &req.to_org {
        if state.store.organisation(to).await?.is_none() {
            return Err(unprocessable(ErrorCode::UnknownOrg, format!("Không có cơ quan {to}")));
        }
        // The organisation taken to sees the applicant's identity and files: only one that
        // handles the procedure, as at submission.
        let handles =
            state.store.procedure(&stored.dossier.procedure).await?.is_some_and(|p| p.organisations.contains(to));
        if !handles {
            return Err(unprocessable(
                ErrorCode::OrgNotForProcedure,
                format!("Cơ quan {to} không giải quyết thủ tục này"),
            ));
        }
    }
    if let (Some(id), Some((org, role))) = (req.assignee, stored.dossier.placement(&wf))
        && !state.store.account(id).await?.is_some_and(|a| a.can_act(&org, role))
    {
        return Err(AppError::bad_request(
            ErrorCode::InvalidAssignee,
            "Người được phân công phải giữ vai trò của bước này tại cơ quan này",
        ));
    }
    let now = Timestamp::now();
    let ctx = Context { workflow: &wf, calendar: &cal, supplement_mode: state.settings.supplement_mode, now };
    let t = workflow::apply(&ctx, &stored.dossier, actor(account), req)?;
    let mut details = t.details.clone();
    let mut attachments = Vec::new();
    if !uploads.is_empty() {
        let kind = files_for(t.action).ok_or_else(|| {
            AppError::bad_request(
                ErrorCode::FilesNotAllowed,
                "Thao tác này không kèm tệp: tệp chỉ gửi khi nộp, bổ sung hồ sơ hoặc khi ký, hoàn thành, trả kết quả",
            )
        })?;
        let total: usize = uploads.iter().map(|u| u.bytes.len()).sum();
        if uploads.len() > files::MAX_FILES || total > files::MAX_TOTAL_BYTES {
            return Err(attachment_error(files::AttachmentError::TooMany));
        }
        attachments = store_files(state, uploads, kind).await?;
        let listed: Vec<serde_json::Value> = attachments
            .iter()
            .map(|a| serde_json::json!({"kind": a.kind.as_str(), "filename": a.filename, "sha256": a.sha256}))
            .collect();
        match &mut details {
            serde_json::Value::Object(m) => {
                m.insert("attachments".into(), serde_json::Value::Array(listed));
            }
            other => *other = serde_json::json!({ "attachments": listed }),
        }
    }
    let actor_label = match account.kind {
        AccountKind::Citizen => "applicant".to_owned(),
        AccountKind::Staff => format!("staff:{}", account.username),
    };
    let draft = EventDraft {
        at_us: now.as_microsecond(),
        actor_account: Some(account.id),
        actor: actor_label,
        action: serde_json::to_value(t.action).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        from_status: Some(t.from_status.code()),
        to_status: t.dossier.status.code(),
        from_step: t.from_step.clone(),
        to_step: t.dossier.step.clone(),
        details: details.to_string(),
    };
    let placement = t.dossier.placement(&wf);
    match state
        .store
        .record_action(&stored.dossier.code, stored.last_seq, &t.dossier, placement, draft, &attachments)
        .await
    {
        Ok(_) => state.dossiers_changed(),
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::new(
                Kind::Conflict,
                ErrorCode::ConcurrentUpdate,
                "Hồ sơ vừa được người khác cập nhật; vui lòng tải lại rồi thao tác",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(code = %t.dossier.code, action = ?t.action, "dossier action");
    if t.action == ActionKind::Sign {
        // The result files are signed now; a failure here is healed when results are listed.
        if let Err(e) = super::results::ensure_signed(state, &t.dossier).await {
            tracing::warn!(error = %e.message, "signing results");
        }
    }
    if t.action == ActionKind::ConfirmPayment {
        // Paid at the desk (cash card or transfer shown there): the receipt.
        let amount = t.dossier.fee.as_ref().map_or(0, |f| f.total.amount());
        let by = format!("staff:{}", account.username);
        super::payments::issue_receipt(state, &t.dossier, "desk", None, &by, None, amount).await?;
    }
    Ok(t.dossier)
}
