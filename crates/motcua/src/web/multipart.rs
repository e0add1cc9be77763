//! Forms posted as multipart (the pages that take files): read whole, fields by name, files
//! checked like any upload.

use axum::http::StatusCode;
use motcua_domain::attachment as files;

use crate::dossiers::Upload;

/// A multipart form read whole: its text fields and its files (inputs left empty skipped).
pub(crate) struct FormParts {
    pub(crate) texts: Vec<(String, String)>,
    /// (field name, file name, bytes)
    pub(crate) files: Vec<(String, String, Vec<u8>)>,
}

impl FormParts {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.texts.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    /// A field's trimmed value; None if missing or blank.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
    }
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.texts.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
    /// The files, checked like any upload (type by content, size, clean name); the
    /// component is taken from a `component-N` field name.
    pub(crate) fn uploads(self) -> Result<Vec<Upload>, crate::app::AppError> {
        let total: usize = self.files.iter().map(|f| f.2.len()).sum();
        if self.files.len() > files::MAX_FILES || total > files::MAX_TOTAL_BYTES {
            return Err(crate::app::AppError::new(
                crate::app::Kind::TooLarge,
                crate::app::ErrorCode::from(&files::AttachmentError::TooMany),
                files::AttachmentError::TooMany.to_string(),
            ));
        }
        self.files
            .into_iter()
            .map(|(name, file_name, bytes)| {
                let component = name.strip_prefix("component-").and_then(|n| n.parse::<i32>().ok());
                Upload::checked(component.filter(|n| (0..100).contains(n)), &file_name, bytes)
            })
            .collect()
    }
}

pub(crate) async fn read_form(
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<FormParts, (StatusCode, String)> {
    let mut multipart = multipart.map_err(|e| (e.status(), e.body_text()))?;
    let mut parts = FormParts { texts: Vec::new(), files: Vec::new() };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err((e.status(), e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| (e.status(), e.body_text()))?;
        match file_name {
            // An input left empty still sends a part with no file name and no bytes.
            Some(f) if f.is_empty() && bytes.is_empty() => {}
            Some(f) => parts.files.push((name, f, bytes.to_vec())),
            None => parts.texts.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(parts)
}

impl FormParts {
    /// The text fields as a form struct (as `axum::Form` reads an urlencoded body).
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, (StatusCode, String)> {
        let bad = |e: String| (StatusCode::BAD_REQUEST, e);
        let encoded = serde_urlencoded::to_string(&self.texts).map_err(|e| bad(e.to_string()))?;
        serde_urlencoded::from_str(&encoded).map_err(|e| bad(e.to_string()))
    }
}

/// A form posted either way: urlencoded (no files) or multipart (a form with a file input).
pub(crate) async fn read_any_form(request: axum::extract::Request) -> Result<FormParts, (StatusCode, String)> {
    use axum::extract::FromRequest;
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        return read_form(axum::extract::Multipart::from_request(request, &()).await).await;
    }
    let axum::Form(texts) = axum::Form::<Vec<(String, String)>>::from_request(request, &())
        .await
        .map_err(|e| (e.status(), e.body_text()))?;
    Ok(FormParts { texts, files: Vec::new() })
}
