//! Files that come with a submission or an action: checked by content, written durably
//! before the dossier that refers to them commits; and which of a dossier's files a viewer
//! may see.

pub(crate) use crate::app::upload::{Upload, attachment_error};
use crate::dossiers::*;

impl Dossiers<'_> {
    /// Writes checked uploads to the blob store (durably, before any record refers to them):
    /// their attachment records, numbered from 1 in the order given.
    pub(crate) async fn store_files(
        &self,
        uploads: Vec<Upload>,
        kind: files::AttachmentKind,
    ) -> AppResult<Vec<Attachment>> {
        self.blobs.store_uploads(uploads, kind, 1).await
    }

    /// A submission's checked uploads: the small ones' contents to write with the dossier
    /// (see [`crate::app::upload::KEPT_IN_DATABASE`]), the others written to the blob store
    /// first; their attachment records, numbered from 1 in the order given.
    pub(crate) async fn store_new_files(
        &self,
        uploads: Vec<Upload>,
        kind: files::AttachmentKind,
    ) -> AppResult<(Vec<Attachment>, Vec<motcua_store::FileContent>)> {
        self.blobs.store_uploads_keeping(uploads, kind, 1, crate::app::upload::KEPT_IN_DATABASE).await
    }

    /// A file's content, from the database (a small file that came with a submission) or the
    /// blob store, checked against its name either way.
    pub async fn file_content(&self, sha256: &str) -> AppResult<Vec<u8>> {
        if let Some(bytes) = self.dossiers.kept_file(sha256).await? {
            if motcua_domain::audit::sha256_hex(&bytes) == sha256 {
                return Ok(bytes);
            }
            tracing::error!(sha256, "a file kept in the database does not match its name");
            return Err(AppError::internal());
        }
        self.blobs.get(sha256).await.map_err(|e| {
            tracing::error!(error = %e, sha256, "attachment missing or damaged in the blob store");
            AppError::internal()
        })
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

pub(crate) struct Submission {
    pub(crate) req: SubmitRequest,
    pub(crate) files: Vec<Upload>,
    /// Stable across retries: the JSON part and each file's hash, not the multipart framing.
    pub(crate) request_hash: String,
    /// The hash of the session's token it comes through (how surely the citizen was
    /// identified: see [`crate::dossiers::Dossiers::assured`]).
    pub(crate) session: Option<String>,
}
