//! Electronic results: each result file is signed by the processing organisation's
//! certificate (detached CMS, as documents are) and numbered `<dossier code>-KQ<n>`;
//! anyone can check a result or a receipt by its number on the public verification page.

pub mod shipments;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use motcua_store::payments::SignedResult;
use serde::Serialize;

use crate::api::error::{ApiResult, AppError, ErrorBody};
use crate::api::extract::ApiPath;
use crate::app::AppState;
use crate::calendar::source::display_vn;
use crate::edge::CurrentAccount;
use crate::results::*;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultView {
    /// `<dossier code>-KQ<n>`
    pub number: String,
    pub filename: String,
    pub sha256: String,
    pub signer: String,
    pub issued_at: String,
    /// The public verification page.
    pub verify_url: String,
    /// The detached CMS signature (DER).
    pub signature_url: String,
    /// The printable result sheet with its verification QR code.
    pub sheet_url: String,
}

fn view(r: &SignedResult) -> ResultView {
    ResultView {
        number: r.number.clone(),
        filename: r.filename.clone(),
        sha256: r.sha256.clone(),
        signer: r.signer.clone(),
        issued_at: display_vn(r.issued_at),
        verify_url: format!("/xac-minh/{}", r.number),
        signature_url: format!("/api/v1/dossiers/{}/results/{}/signature", r.dossier, r.number),
        sheet_url: format!("/dossiers/{}/results/{}", r.dossier, r.number),
    }
}

/// Results the viewer may see: staff always, the applicant once the result is returned.
async fn visible(state: &AppState, code: &str, current: &CurrentAccount) -> ApiResult<Vec<SignedResult>> {
    let stored = crate::dossiers::Dossiers::of(state).load_visible(code, &current.account).await?;
    let d = &stored.dossier;
    if current.account.kind == motcua_domain::AccountKind::Citizen
        && d.status != motcua_domain::workflow::Status::Returned
    {
        return Ok(vec![]);
    }
    Results::of(state).ensure_signed(d).await
}

async fn visible_one(state: &AppState, code: &str, number: &str, current: &CurrentAccount) -> ApiResult<SignedResult> {
    visible(state, code, current)
        .await?
        .into_iter()
        .find(|r| r.number == number)
        .ok_or_else(|| AppError::not_found("Không có kết quả này"))
}

/// The dossier's signed results.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/results", tag = "results",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<ResultView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<Vec<ResultView>>> {
    Ok(Json(visible(&state, &code, &current).await?.iter().map(view).collect()))
}

/// The detached CMS signature of a result (DER): with the file, `motcua verify` or
/// `openssl cms -verify -binary -inform DER -in SIG -content FILE -CAfile ca.pem` checks it.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/results/{number}/signature", tag = "results",
    params(("code" = String, Path, description = "Mã hồ sơ"), ("number" = String, Path, description = "Số kết quả")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Chữ ký CMS (DER)", content_type = "application/pkcs7-signature"), (status = 404, body = ErrorBody)))]
pub async fn signature(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((code, number)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let r = visible_one(&state, &code, &number, &current).await?;
    let der = B64.decode(r.signature.as_bytes()).map_err(|_| AppError::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pkcs7-signature".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.p7s\"", r.number)),
        ],
        der,
    )
        .into_response())
}

/// Public check of a result (`…-KQ1`) or a receipt (`BL-…`) by its number: issuer, date,
/// hash and whether the signature is valid. No personal data.
#[utoipa::path(get, path = "/api/v1/verify/{number}", tag = "results",
    params(("number" = String, Path, description = "Số kết quả hoặc số biên lai")),
    responses((status = 200, body = Verification), (status = 404, body = ErrorBody)))]
pub async fn verify(State(state): State<AppState>, ApiPath(number): ApiPath<String>) -> ApiResult<Json<Verification>> {
    if number.len() > 80 {
        return Err(AppError::not_found("Không có giấy tờ mang số này"));
    }
    Results::of(&state)
        .verification(&number)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::not_found("Không có giấy tờ mang số này"))
}

#[derive(askama::Template)]
#[template(path = "forms/result.html")]
struct ResultSheet {
    number: String,
    issuer: String,
    issuer_code: String,
    dossier: String,
    procedure: String,
    filename: String,
    issued_at: String,
    signer: String,
    sha256: String,
    verify_url: String,
    qr_svg: String,
    /// The QR code carries a seal (checkable offline), not only the address.
    sealed: bool,
}

/// The printable result sheet: what was issued and signed, with a QR code that opens the
/// public verification page of the result.
#[utoipa::path(get, path = "/dossiers/{code}/results/{number}", tag = "results",
    params(("code" = String, Path, description = "Mã hồ sơ"), ("number" = String, Path, description = "Số kết quả")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Phiếu kết quả", content_type = "text/html"), (status = 404, body = ErrorBody)))]
pub async fn sheet(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((code, number)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    use askama::Template;
    let r = visible_one(&state, &code, &number, &current).await?;
    let facts = Results::of(&state).sheet_facts(&r).await?;
    let qr_svg = crate::dossiers::forms::qr_svg(facts.seal.as_deref().unwrap_or(&facts.verify_url)).map_err(|e| {
        tracing::error!(error = %e, "result QR");
        AppError::internal()
    })?;
    let page = ResultSheet {
        number: r.number.clone(),
        issuer: facts.issuer,
        issuer_code: r.org.to_string(),
        dossier: r.dossier.to_string(),
        procedure: facts.procedure,
        filename: r.filename.clone(),
        issued_at: display_vn(r.issued_at),
        signer: r.signer.clone(),
        sha256: r.sha256.clone(),
        verify_url: facts.verify_url,
        qr_svg,
        sealed: facts.seal.is_some(),
    };
    let html = page.render().map_err(|e| {
        tracing::error!(error = %e, "result sheet");
        AppError::internal()
    })?;
    Ok(crate::api::printable(html))
}

/// Revokes a signed result or a receipt (a leader of the organisation that issued it), with
/// the reason and the corrected paper that replaces it, if any: its verification says so
/// from then on.
#[utoipa::path(post, path = "/api/v1/revocations", tag = "results", request_body = RevokeRequest,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = RevocationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    current: CurrentAccount,
    crate::api::extract::ApiJson(req): crate::api::extract::ApiJson<RevokeRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<RevocationView>)> {
    let view = Results::of(&state).revoke(&current.account, &req).await?;
    Ok((axum::http::StatusCode::CREATED, Json(view)))
}
