//! A file that comes with a request, checked by its content (type, size, clean name) before
//! anything stores it; and the errors every capability that takes files answers with.

use motcua_domain::attachment::{self as files, Attachment, AttachmentKind};
use motcua_domain::audit::sha256_hex;

use super::{AppError, AppResult, ErrorCode, Kind};
use crate::blobs::BlobStore;
use motcua_store::FileContent;

/// A file from a multipart submission.
pub(crate) struct Upload {
    pub(crate) component: Option<i32>,
    pub(crate) filename: String,
    pub(crate) content_type: &'static str,
    pub(crate) bytes: Vec<u8>,
}

impl Upload {
    /// A file checked like any upload: type by content, size, clean name.
    pub(crate) fn checked(component: Option<i32>, raw_name: &str, bytes: Vec<u8>) -> AppResult<Self> {
        let filename = files::clean_filename(raw_name);
        let content_type = files::check_file(&filename, &bytes).map_err(attachment_error)?;
        Ok(Self { component, filename, content_type, bytes })
    }
    pub(crate) fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }
    pub(crate) fn component(&self) -> Option<i32> {
        self.component
    }
    /// (clean file name, sniffed content type, bytes)
    pub(crate) fn into_parts(self) -> (String, &'static str, Vec<u8>) {
        (self.filename, self.content_type, self.bytes)
    }
}

pub(crate) fn attachment_error(e: files::AttachmentError) -> AppError {
    let status = match e {
        files::AttachmentError::TooLarge(_) | files::AttachmentError::TooMany => Kind::TooLarge,
        files::AttachmentError::UnsupportedType(_) => Kind::Unsupported,
        files::AttachmentError::Empty(_) => Kind::Invalid,
    };
    AppError::new(status, ErrorCode::from(&e), e.to_string())
}

pub(crate) fn too_large() -> AppError {
    AppError::new(Kind::TooLarge, ErrorCode::PayloadTooLarge, "Nội dung gửi lên vượt quá dung lượng cho phép")
}

/// Files of a submission up to this size are kept in the database, written in the dossier's
/// own transaction (shared with the other submissions committed with it): no file and no
/// fsync of their own, and every server on the database reads them. Larger ones go to the
/// blob store, where a database row would only make the database larger to copy.
pub(crate) const KEPT_IN_DATABASE: usize = 64 * 1024;

impl BlobStore {
    /// Writes checked uploads (durably, before any record refers to them): their attachment
    /// records, numbered from `first` in the order given.
    pub(crate) async fn store_uploads(
        &self,
        uploads: Vec<Upload>,
        kind: AttachmentKind,
        first: i32,
    ) -> AppResult<Vec<Attachment>> {
        Ok(self.store_uploads_keeping(uploads, kind, first, 0).await?.0)
    }

    /// As [`BlobStore::store_uploads`], except that uploads of at most `keep` bytes are not
    /// written here: their contents come back, for the caller to write in the same
    /// transaction as the record that refers to them.
    pub(crate) async fn store_uploads_keeping(
        &self,
        uploads: Vec<Upload>,
        kind: AttachmentKind,
        first: i32,
        keep: usize,
    ) -> AppResult<(Vec<Attachment>, Vec<FileContent>)> {
        let mut attachments = Vec::with_capacity(uploads.len());
        let mut kept = Vec::new();
        for (i, f) in uploads.into_iter().enumerate() {
            let size = f.bytes.len() as i64;
            let sha256 = if f.bytes.len() <= keep {
                let sha256 = sha256_hex(&f.bytes);
                kept.push(FileContent { sha256: sha256.clone(), bytes: f.bytes });
                sha256
            } else {
                self.put(f.bytes).await.map_err(|e| {
                    tracing::error!(error = %e, "storing an attachment");
                    AppError::internal()
                })?
            };
            attachments.push(Attachment {
                index: first + i as i32,
                component: f.component,
                filename: f.filename,
                content_type: f.content_type.to_owned(),
                size,
                sha256,
                kind,
            });
        }
        Ok((attachments, kept))
    }
}
