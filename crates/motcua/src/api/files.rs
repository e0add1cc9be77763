//! Requests that carry files, and files sent back: the JSON-or-multipart reader every
//! capability that takes files uses, and the headers a stored file is served with.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::attachment::{self as files, Attachment};
use motcua_domain::audit::sha256_hex;

use crate::app::upload::{Upload, attachment_error, too_large};
use crate::app::{AppError, ErrorCode};

/// The `multipart/form-data` form of a request [`read_json_and_files`] reads, for the OpenAPI
/// document: a struct never built, whose schema says the JSON goes in the part `$part` and each
/// file in a part `file`. `with_files!(SubmitWithFiles, dossier: SubmitRequest)`.
macro_rules! with_files {
    ($(#[$meta:meta])* $name:ident, $part:ident: $body:ty) => {
        $(#[$meta])*
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)] // described to integrators; the request is read part by part
        pub struct $name {
            /// The request, as JSON.
            pub $part: $body,
            /// A file. Send the part again for each further file.
            #[schema(value_type = Option<String>, format = Binary)]
            pub file: Option<Vec<u8>>,
        }
    };
}
pub(crate) use with_files;

/// A JSON body, or multipart with the JSON in the part named `json_part` and files in parts
/// named `file` or `component-N`: the value, the files (each checked), and a hash of the
/// request that is stable across retries (the JSON and each file's hash, not the framing).
pub(crate) async fn read_json_and_files<T: serde::de::DeserializeOwned>(
    request: axum::extract::Request,
    json_part: &'static str,
) -> Result<(T, Vec<Upload>, String), AppError> {
    use axum::extract::FromRequest;
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if !content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        let headers = request.headers().clone();
        let body = axum::body::Bytes::from_request(request, &()).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                AppError::bad_request(ErrorCode::InvalidBody, "Không đọc được nội dung yêu cầu")
            }
        })?;
        let value = crate::api::extract::json_body(&headers, &body)?;
        return Ok((value, vec![], sha256_hex(&body)));
    }
    let bad = |m: String| AppError::bad_request(ErrorCode::InvalidMultipart, m);
    let mut multipart = axum::extract::Multipart::from_request(request, &()).await.map_err(|e| bad(e.body_text()))?;
    let mut json: Option<axum::body::Bytes> = None;
    let mut uploads = Vec::new();
    let mut total = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(bad(e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let component = match files::UploadPart::of(&name, json_part) {
            Some(files::UploadPart::Json) => {
                json = Some(field.bytes().await.map_err(|e| bad(e.body_text()))?);
                continue;
            }
            Some(files::UploadPart::File { component }) => component,
            None => {
                return Err(bad(format!(
                    "Phần «{}» không hợp lệ: dùng {json_part}, file hoặc component-N",
                    files::clean_filename(&name)
                )));
            }
        };
        let filename = files::clean_filename(field.file_name().unwrap_or("tep"));
        let bytes = field
            .bytes()
            .await
            .map_err(|e| if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { bad(e.body_text()) })?;
        let content_type = files::check_file(&filename, &bytes).map_err(attachment_error)?;
        total += bytes.len();
        if uploads.len() >= files::MAX_FILES || total > files::MAX_TOTAL_BYTES {
            return Err(attachment_error(files::AttachmentError::TooMany));
        }
        uploads.push(Upload { component, filename, content_type, bytes: bytes.to_vec() });
    }
    let json = json.ok_or_else(|| bad(format!("Thiếu phần «{json_part}» (JSON)")))?;
    let mut json_headers = HeaderMap::new();
    json_headers.insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    let value = crate::api::extract::json_body(&json_headers, &json)?;
    let mut fingerprint = json.to_vec();
    for u in &uploads {
        fingerprint.extend_from_slice(sha256_hex(&u.bytes).as_bytes());
        fingerprint.extend_from_slice(format!("{:?}", u.component).as_bytes());
    }
    Ok((value, uploads, sha256_hex(&fingerprint)))
}

/// A stored file as a response: shown in the page (`inline`, a preview) or saved, never able
/// to run anything as this site.
pub(crate) fn file_response(a: &Attachment, bytes: Vec<u8>, inline: bool) -> Response {
    let how = if inline { "inline" } else { "attachment" };
    // Shown in the page (preview) but never able to run anything as this site. PDFs are
    // left out of the sandbox: the browser's PDF viewer does not load in one.
    let csp = if a.content_type == "application/pdf" {
        "default-src 'none'; frame-ancestors 'self'"
    } else {
        "sandbox; default-src 'none'; frame-ancestors 'self'"
    };
    let disposition = format!("{how}; filename*=UTF-8''{}", crate::edge::percent_encode(&a.filename));
    (
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".into()),
            (header::CONTENT_SECURITY_POLICY, csp.into()),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN".into()),
        ],
        bytes,
    )
        .into_response()
}
