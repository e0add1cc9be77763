//! A document's content as sent: the edXML package, the signed content, its detached
//! signature, and each attachment.

use crate::documents::api::*;

/// The edXML package (header, trace, signature, base64 attachments) as sent or received.
#[utoipa::path(get, path = "/api/v1/documents/{id}/edxml", tag = "documents",
    params(("id" = i64, Path, description = "Số hiệu bản ghi")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Gói edXML", content_type = "application/xml"), (status = 404, body = ErrorBody)))]
pub async fn edxml(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let d = Documents::of(&state).load(id, &current.account).await?;
    let name = format!("{}.edxml", d.document_id.replace(['/', ','], "_"));
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{}", crate::edge::percent_encode(&name)),
            ),
        ],
        d.package,
    )
        .into_response())
}

/// The content the signature covers. A package in the national axis's layout carries an
/// enveloped XML signature over the whole of it: this is the package itself, for
/// `xmlsec1 --verify --trusted-pem ca.pem package.xml`. A package in motcua's earlier layout
/// was signed with a detached CMS signature: this is the exact bytes it covers (the package
/// without trace and signature), for
/// `openssl cms -verify -binary -inform DER -in signature.p7s -content signed-content.xml`.
#[utoipa::path(get, path = "/api/v1/documents/{id}/signed-content", tag = "documents",
    params(("id" = i64, Path, description = "Số hiệu bản ghi")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Nội dung được ký", content_type = "application/xml"), (status = 404, body = ErrorBody)))]
pub async fn signed_content(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let d = Documents::of(&state).load(id, &current.account).await?;
    let pkg = package_of(&d)?;
    let body = match pkg.shape {
        motcua_exchange::Shape::Axis => d.package.into_bytes(),
        motcua_exchange::Shape::Motcua => pkg.canonical(),
    };
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response())
}

/// The signature alone: the XML-DSig `Signature` element of a package in the axis's layout,
/// or the detached CMS (PKCS#7) signature, DER, of one in motcua's earlier layout.
#[utoipa::path(get, path = "/api/v1/documents/{id}/signature", tag = "documents",
    params(("id" = i64, Path, description = "Số hiệu bản ghi")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Chữ ký XML (XML-DSig) hoặc CMS (DER)",
        content(("application/xml"), ("application/pkcs7-signature"))), (status = 404, body = ErrorBody)))]
pub async fn signature(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let d = Documents::of(&state).load(id, &current.account).await?;
    let pkg = package_of(&d)?;
    let sig = pkg.signature.ok_or_else(|| AppError::not_found("Văn bản không có chữ ký"))?;
    let (content_type, name) = match pkg.shape {
        motcua_exchange::Shape::Axis => ("application/xml; charset=utf-8", "signature.xml"),
        motcua_exchange::Shape::Motcua => ("application/pkcs7-signature", "signature.p7s"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        sig,
    )
        .into_response())
}

/// An attachment of the document (1-based).
#[utoipa::path(get, path = "/api/v1/documents/{id}/attachments/{index}", tag = "documents",
    params(("id" = i64, Path, description = "Số hiệu bản ghi"), ("index" = usize, Path, description = "Số thứ tự tệp, từ 1")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Nội dung tệp", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn attachment(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((id, index)): ApiPath<(i64, usize)>,
) -> ApiResult<Response> {
    let d = Documents::of(&state).load(id, &current.account).await?;
    let pkg = package_of(&d)?;
    let a = index
        .checked_sub(1)
        .and_then(|i| pkg.attachments.into_iter().nth(i))
        .ok_or_else(|| AppError::not_found("Không có tệp này"))?;
    Ok((
        [
            // Never rendered as this site: downloaded, with a sandbox if opened.
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{}", crate::edge::percent_encode(&a.name)),
            ),
            (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'".to_owned()),
        ],
        a.data,
    )
        .into_response())
}
