//! Between servers: importing a package by hand, the partner servers' signed inbox, the
//! deployment CA's certificate, and the quarantine.

use crate::documents::api::*;

/// Imports an edXML package received by other means (e-mail, disk): verified, then
/// registered for this server's recipients, or quarantined with the reason.
#[utoipa::path(post, path = "/api/v1/documents/import", tag = "documents",
    request_body(content = String, content_type = "application/xml"),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = exchange::Received), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    current: CurrentAccount,
    body: Bytes,
) -> ApiResult<Json<exchange::Received>> {
    let clerk = current
        .account
        .roles
        .iter()
        .any(|r| matches!(r.role, motcua_domain::Role::Clerk | motcua_domain::Role::Leader));
    if !clerk {
        return Err(AppError::forbidden());
    }
    if body.len() > motcua_exchange::edxml::MAX_PACKAGE_BYTES {
        return Err(too_large());
    }
    let orgs = current
        .account
        .roles
        .iter()
        .filter(|r| matches!(r.role, motcua_domain::Role::Clerk | motcua_domain::Role::Leader))
        .map(|r| r.org.clone())
        .collect();
    let source = Source::Import { user: current.account.username.to_string(), orgs };
    let received = state.exchange.receive(&body, &source).await?;
    Ok(Json(received))
}

/// Where partner servers deliver packages, with a signed request: `Motcua-Ca` (SHA-256 of
/// the sender's CA certificate), `Motcua-Date` (RFC 3339) and `Motcua-Signature` (base64
/// DER CMS over `POST\n/api/v1/exchange/packages\n{date}\n{sha256 of body}`, signed by a
/// certificate of that CA).
#[utoipa::path(post, path = "/api/v1/exchange/packages", tag = "documents",
    request_body(content = String, content_type = "application/xml"),
    responses((status = 200, body = exchange::Received), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn peer_inbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<exchange::Received>> {
    let peer = signed_by_peer(&state, &headers, exchange::PEER_INBOX_PATH, &body).await?;
    let received = state.exchange.receive(&body, &Source::Peer(peer)).await?;
    Ok(Json(received))
}

/// The partner whose server signed this request to `path`.
async fn signed_by_peer(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> ApiResult<motcua_store::documents::Peer> {
    let unauthorised = |m: &str| AppError::new(Kind::Unauthenticated, ErrorCode::BadRequestSignature, m.to_owned());
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let (Some(ca), Some(date), Some(sig)) =
        (get(exchange::HEADER_CA), get(exchange::HEADER_DATE), get(exchange::HEADER_SIGNATURE))
    else {
        return Err(unauthorised("Thiếu chữ ký yêu cầu (Motcua-Ca, Motcua-Date, Motcua-Signature)"));
    };
    Documents::of(state).authenticate_peer(ca, date, sig, path, body).await
}

/// Where partner servers deliver several packages at once (at most 32, 8 MiB in all), signed
/// as a single delivery is but with this path in the signed text: a `multipart/form-data`
/// body with one part named `package` per edXML package. Each package is verified and taken
/// in or quarantined on its own; the answer says what became of each, in order.
#[utoipa::path(post, path = "/api/v1/exchange/batches", tag = "documents",
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 200, body = exchange::batch::BatchReceived), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn peer_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<exchange::batch::BatchReceived>> {
    let peer = signed_by_peer(&state, &headers, exchange::batch::PEER_BATCH_PATH, &body).await?;
    let packages = batch_parts(&headers, body).await?;
    Ok(Json(state.exchange.receive_batch(&packages, &Source::Peer(peer)).await?))
}

/// The `package` parts of a batch, in order.
async fn batch_parts(headers: &HeaderMap, body: Bytes) -> ApiResult<Vec<Bytes>> {
    let bad = |m: String| AppError::bad_request(ErrorCode::InvalidBatch, m);
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| bad("Lô gói tin phải là multipart/form-data".into()))?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut packages = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| bad(format!("Lô gói tin hỏng: {e}")))? {
        if field.name() != Some("package") {
            return Err(bad("Mỗi phần của lô phải có tên package".into()));
        }
        if packages.len() == exchange::batch::MAX_BATCH_PACKAGES {
            return Err(too_large());
        }
        packages.push(field.bytes().await.map_err(|e| bad(format!("Lô gói tin hỏng: {e}")))?);
    }
    if packages.is_empty() {
        return Err(bad("Lô gói tin không có gói nào".into()));
    }
    Ok(packages)
}

/// The deployment CA's certificate (PEM), for partners to trust.
#[utoipa::path(get, path = "/api/v1/exchange/ca.pem", tag = "documents",
    responses((status = 200, description = "Chứng thư CA (PEM)", content_type = "application/x-pem-file"), (status = 404, body = ErrorBody)))]
pub async fn ca_pem(State(state): State<AppState>) -> ApiResult<Response> {
    let ca = Documents::of(&state).ca_pem().await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], ca).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuarantineView {
    pub id: i64,
    pub source: String,
    pub reason: String,
    pub document_id: Option<String>,
    pub from_org: Option<String>,
    pub size: usize,
    pub received_at: String,
}

/// Packages that failed verification, newest first (organisation administrators and clerks).
#[utoipa::path(get, path = "/api/v1/exchange/quarantine", tag = "documents",
    params(("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<QuarantineView>), (status = 403, body = ErrorBody)))]
pub async fn quarantine(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<PageOf<QuarantineView>>> {
    // Each organisation sees what concerns it; the province's administrators see everything,
    // also what could not be read far enough to know whom it was for.
    let page = Page::new(q.offset, q.limit);
    let paged = Documents::of(&state).quarantined(&current.account, page).await?;
    let items = paged
        .items
        .into_iter()
        .map(|x| QuarantineView {
            id: x.id,
            source: x.source,
            reason: x.reason,
            document_id: x.document_id,
            from_org: x.from_org,
            size: usize::try_from(x.size).unwrap_or(0),
            received_at: display_vn(x.received_at),
        })
        .collect();
    Ok(Json(PageOf { items, total: paged.total, offset: page.offset, limit: page.limit }))
}
