//! Files that come with a submission or an action: checked by content, written durably
//! before the dossier that refers to them commits; and which of a dossier's files a viewer
//! may see.

use crate::dossiers::*;

impl Dossiers<'_> {
    /// Writes checked uploads to the blob store (durably, before any record refers to them):
    /// their attachment records, numbered from 1 in the order given.
    pub(crate) async fn store_files(
        &self,
        uploads: Vec<Upload>,
        kind: files::AttachmentKind,
    ) -> AppResult<Vec<Attachment>> {
        let blobs = self.blobs;
        let mut attachments = Vec::with_capacity(uploads.len());
        for (i, f) in uploads.into_iter().enumerate() {
            let size = f.bytes.len() as i64;
            let sha256 = blobs.put(f.bytes).await.map_err(|e| {
                tracing::error!(error = %e, "storing an attachment");
                AppError::internal()
            })?;
            attachments.push(Attachment {
                index: i as i32 + 1,
                component: f.component,
                filename: f.filename,
                content_type: f.content_type.to_owned(),
                size,
                sha256,
                kind,
            });
        }
        Ok(attachments)
    }

    /// The attachments the viewer may see: staff see all; the applicant sees the result only
    /// once it has been returned to them.
    pub(crate) async fn visible_attachments(&self, d: &Dossier, viewer: &Account) -> AppResult<Vec<Attachment>> {
        let mut list = self.dossiers.attachments(&d.code).await?;
        if viewer.kind == AccountKind::Citizen && d.status != Status::Returned {
            list.retain(|a| a.kind != files::AttachmentKind::Result);
        }
        Ok(list)
    }
}

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

pub(crate) struct Submission {
    pub(crate) req: SubmitRequest,
    pub(crate) files: Vec<Upload>,
    /// Stable across retries: the JSON part and each file's hash, not the multipart framing.
    pub(crate) request_hash: String,
    /// The hash of the session's token it comes through (how surely the citizen was
    /// identified: see [`crate::dossiers::Dossiers::assured`]).
    pub(crate) session: Option<String>,
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
