//! Revoking a signed result or a receipt: the issuing organisation's leader withdraws it with
//! a reason (and, for a corrected result, the number that replaces it). The paper stays as
//! it was signed; its verification says it was revoked, when and why.

use jiff::Timestamp;
use motcua_domain::{Account, Role};
use motcua_store::payments::Revocation;
use serde::{Deserialize, Serialize};

use super::Results;
use crate::app::{AppError, AppResult, ErrorCode, Kind};
use crate::calendar::source::display_vn;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// The result's (`<dossier code>-KQ<n>`) or the receipt's number.
    pub number: String,
    pub reason: String,
    /// The corrected paper that replaces it, if one was issued.
    #[serde(default)]
    pub replaced_by: Option<String>,
}

/// A revocation as the verification page and the API say it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevocationView {
    pub number: String,
    /// `result` or `receipt`.
    pub kind: String,
    pub reason: String,
    pub replaced_by: Option<String>,
    /// `HH:MM dd/mm/yyyy`
    pub revoked_at: String,
}

impl From<Revocation> for RevocationView {
    fn from(r: Revocation) -> Self {
        Self {
            number: r.number,
            kind: r.kind,
            reason: r.reason,
            replaced_by: r.replaced_by,
            revoked_at: display_vn(r.revoked_at),
        }
    }
}

impl Results<'_> {
    /// The paper with this number: its kind and issuing organisation, if it exists.
    async fn issued(&self, number: &str) -> AppResult<Option<(&'static str, motcua_domain::OrgCode)>> {
        if let Some(r) = self.results.result(number).await? {
            return Ok(Some(("result", r.org)));
        }
        Ok(self.payments.receipt(number).await?.map(|r| ("receipt", r.org)))
    }

    /// Revokes a result or receipt, as a leader of the organisation that issued it.
    pub async fn revoke(&self, account: &Account, req: &RevokeRequest) -> AppResult<RevocationView> {
        let number = req.number.trim();
        let Some((kind, org)) = self.issued(number).await? else {
            return Err(AppError::not_found(format!("Không có kết quả hay biên lai số {number}")));
        };
        if !account.can_act(&org, Role::Leader) {
            return Err(AppError::new(
                Kind::Forbidden,
                ErrorCode::Forbidden,
                "Chỉ lãnh đạo cơ quan đã cấp mới được thu hồi giấy tờ này",
            ));
        }
        let reason = motcua_domain::text::nfc(req.reason.trim());
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::bad_request(ErrorCode::InvalidText, "Cần nêu lý do thu hồi (tối đa 2.000 ký tự)"));
        }
        let replaced_by = req.replaced_by.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(n) = &replaced_by
            && (n == number || self.issued(n).await?.is_none())
        {
            return Err(AppError::new(
                Kind::Unprocessable,
                ErrorCode::InvalidValue,
                format!("Không có giấy tờ thay thế số {n} (phải là một kết quả hoặc biên lai khác đã cấp)"),
            ));
        }
        let revocation = Revocation {
            number: number.to_owned(),
            kind: kind.to_owned(),
            org,
            reason,
            replaced_by,
            revoked_by: format!("staff:{}", account.username),
            revoked_at: Timestamp::now(),
        };
        if !self.results.revoke(&revocation).await? {
            return Err(AppError::new(Kind::Conflict, ErrorCode::AlreadyRevoked, "Giấy tờ này đã bị thu hồi trước đó"));
        }
        tracing::info!(number = %revocation.number, by = %revocation.revoked_by, "paper revoked");
        Ok(revocation.into())
    }

    /// The revocation of a paper, if it was revoked.
    pub async fn revocation(&self, number: &str) -> AppResult<Option<RevocationView>> {
        Ok(self.results.revocation(number).await?.map(RevocationView::from))
    }
}
