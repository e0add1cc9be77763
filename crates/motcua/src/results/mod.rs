//! Results: the files an officer returns, signed with the organisation's key as they are
//! issued, numbered once, and checkable by anyone from their number.

pub mod api;
pub mod pages;
pub mod post;
mod revoke;
pub use revoke::{RevocationView, RevokeRequest};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use motcua_domain::attachment::AttachmentKind;
use motcua_domain::workflow::Dossier;
use motcua_exchange::seal::{PaperClaims, PaperKind};
use motcua_store::documents::CertRole;
use motcua_store::payments::{PaymentStore, ResultStore, SignedResult};
use motcua_store::{CatalogStore, DossierStore};
use serde::Serialize;

use crate::app::{AppError, AppResult, AppState};
use crate::calendar::source::display_vn;

/// What the public verification page says about a number.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub number: String,
    /// `result` or `receipt`.
    pub kind: &'static str,
    pub issuer: String,
    pub issuer_code: String,
    pub issued_at: String,
    pub sha256: String,
    /// Result: the signing certificate; receipt: who collected.
    pub signer: String,
    /// Result: the signature verifies over the stored file now (chain, validity, issuer);
    /// receipt: it is in the register.
    pub valid: bool,
    pub reason: Option<String>,
    /// Receipt: the amount collected.
    pub amount: Option<String>,
    /// Withdrawn by its issuer since: when, why, and what replaces it (then `valid` is false).
    pub revoked: Option<RevocationView>,
}

impl Verification {
    /// The verification of a paper revoked since it was issued: not valid, saying why.
    fn revoked_if(mut self, revocation: Option<RevocationView>) -> Self {
        if let Some(r) = revocation {
            self.valid = false;
            self.reason = Some(format!("Đã bị thu hồi lúc {}: {}", r.revoked_at, r.reason));
            self.revoked = Some(r);
        }
        self
    }
}

/// What a printed paper shows besides itself.
pub struct SheetFacts {
    pub issuer: String,
    pub procedure: String,
    /// The online check (it also says whether the paper was revoked since).
    pub verify_url: String,
    /// The signed QR payload, when the issuer has a signing certificate.
    pub seal: Option<String>,
}

/// A time as a seal keeps it (whole seconds).
pub(crate) fn whole_seconds(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// The results' use cases, holding the results and their shipments, the dossiers (their
/// files), the catalog (issuers' and procedures' names), receipts (checked by number too), the
/// exchange's signing identities and trust anchors, and where the files are kept.
pub struct Results<'a> {
    results: &'a dyn ResultStore,
    dossiers: &'a dyn DossierStore,
    catalog: &'a dyn CatalogStore,
    payments: &'a dyn PaymentStore,
    exchange: &'a crate::documents::exchange::Exchange,
    blobs: &'a crate::blobs::BlobStore,
    public_url: &'a str,
}

impl<'a> Results<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self {
            results: store,
            dossiers: store,
            catalog: store,
            payments: store,
            exchange: &state.exchange,
            blobs: &state.blobs,
            public_url: state.public_url(),
        }
    }

    /// The name of the organisation with this code (the code itself if there is none).
    pub async fn org_name(&self, org: &motcua_domain::OrgCode) -> AppResult<String> {
        Ok(self.catalog.organisation(org).await?.map_or_else(|| org.to_string(), |o| o.name.to_string()))
    }

    /// What a printed result sheet shows besides the result: the issuer's name, the
    /// procedure's name, the verification address and the seal its QR code carries.
    pub async fn sheet_facts(&self, r: &SignedResult) -> AppResult<SheetFacts> {
        let issuer = self.org_name(&r.org).await?;
        let dossier = self.dossiers.dossier(&r.dossier).await?;
        let procedure = match &dossier {
            Some(s) => {
                self.catalog.procedure(&s.dossier.procedure).await?.map(|p| p.name.to_string()).unwrap_or_default()
            }
            None => String::new(),
        };
        let verify_url = format!("{}/xac-minh/{}", self.public_url, r.number);
        let claims = PaperClaims {
            number: r.number.clone(),
            kind: PaperKind::Result,
            issuer: r.org.clone(),
            issued_at: whole_seconds(r.issued_at),
            sha256: motcua_exchange::seal::sha256_bytes(&r.sha256),
            holder: dossier
                .map(|s| motcua_domain::masked_name(s.dossier.applicant.full_name.as_str()))
                .unwrap_or_default(),
            url: verify_url.clone(),
            amount: None,
            due: None,
        };
        let seal = self.exchange.seal(&claims).await;
        Ok(SheetFacts { issuer, procedure, verify_url, seal })
    }

    /// The seal of a dossier's form 01 or 04 issued at `issued_at`: its processing
    /// organisation's, with the date the result is promised for and the tracking page as the
    /// online check. None when the organisation does not sign.
    pub async fn form_seal(&self, kind: PaperKind, d: &Dossier, issued_at: Timestamp) -> Option<String> {
        let claims = PaperClaims {
            number: d.code.to_string(),
            kind,
            issuer: d.processing_org.clone(),
            issued_at: whole_seconds(issued_at),
            sha256: None,
            holder: motcua_domain::masked_name(d.applicant.full_name.as_str()),
            url: format!("{}/tra-cuu?ma={}", self.public_url, d.code),
            amount: None,
            due: d.due_at.map(whole_seconds),
        };
        self.exchange.seal(&claims).await
    }

    /// The CA certificates (DER, base64) an offline checker trusts: what the check page
    /// carries, so that it verifies papers' QR codes with the network off.
    pub async fn offline_anchors(&self) -> AppResult<Vec<String>> {
        let pems = self.exchange.anchor_pems().await.map_err(|e| {
            tracing::error!(error = %e, "reading the CA certificates");
            AppError::internal()
        })?;
        let mut out = Vec::new();
        for pem in pems {
            for cert in motcua_exchange::pki::parse_certificates(pem.as_bytes()).unwrap_or_default() {
                if let Ok(der) = cert.to_der() {
                    out.push(B64.encode(der));
                }
            }
        }
        Ok(out)
    }

    /// Signs the dossier's result files that are not signed yet (by the processing
    /// organisation's certificate, when it has one) and returns every signed result.
    pub async fn ensure_signed(&self, d: &Dossier) -> AppResult<Vec<SignedResult>> {
        let mut done = self.results.results_of(&d.code).await?;
        let files: Vec<_> = self
            .dossiers
            .attachments(&d.code)
            .await?
            .into_iter()
            .filter(|a| a.kind == AttachmentKind::Result)
            .collect();
        let missing: Vec<_> = files.iter().filter(|a| !done.iter().any(|r| r.sha256 == a.sha256)).collect();
        if missing.is_empty() {
            return Ok(done);
        }
        let identity = match self.exchange.identity(CertRole::Org, Some(&d.processing_org)).await {
            Ok(Some(i)) => i,
            Ok(None) => {
                tracing::warn!(org = %d.processing_org, "result not signed: the organisation has no certificate");
                return Ok(done);
            }
            Err(e) => {
                tracing::warn!(error = %e, "result not signed");
                return Ok(done);
            }
        };
        let signer = motcua_exchange::pki::certificate_info(&identity.cert).map(|i| i.subject).unwrap_or_default();
        let blobs = self.blobs;
        for a in missing {
            let bytes = blobs.get(&a.sha256).await.map_err(|e| {
                tracing::error!(error = %e, "result file missing from the blob store");
                AppError::internal()
            })?;
            let sig = motcua_exchange::sign::sign_detached(&identity, &bytes).map_err(|e| {
                tracing::error!(error = %e, "signing a result");
                AppError::internal()
            })?;
            let (code, org, filename, content_type, sha, signer) = (
                d.code.clone(),
                d.processing_org.clone(),
                a.filename.clone(),
                a.content_type.clone(),
                a.sha256.clone(),
                signer.clone(),
            );
            let signature = B64.encode(sig);
            let now = Timestamp::now();
            let build = move |seq: i64| SignedResult {
                number: format!("{code}-KQ{seq}"),
                dossier: code.clone(),
                seq,
                org: org.clone(),
                filename: filename.clone(),
                content_type: content_type.clone(),
                sha256: sha.clone(),
                signature: signature.clone(),
                signer: signer.clone(),
                issued_at: now,
            };
            let r = self.results.add_result(&d.code, &a.sha256, &build).await?;
            if !done.iter().any(|x| x.number == r.number) {
                done.push(r);
            }
        }
        Ok(done)
    }

    /// What the public verification page says about a result's or a receipt's number.
    pub async fn verification(&self, number: &str) -> AppResult<Option<Verification>> {
        if let Some(r) = self.results.result(number).await? {
            let issuer =
                self.catalog.organisation(&r.org).await?.map_or_else(|| r.org.to_string(), |o| o.name.to_string());
            let bytes = self.blobs.get(&r.sha256).await;
            let check = match (bytes, B64.decode(r.signature.as_bytes())) {
                (Err(e), _) if e.kind() == std::io::ErrorKind::InvalidData => {
                    Err("tệp kết quả đã lưu đã bị thay đổi (không khớp mã băm lúc ký)".to_owned())
                }
                (Ok(bytes), Ok(sig)) => {
                    let anchors = self.exchange.anchors().await?;
                    motcua_exchange::sign::verify_detached(&anchors, &bytes, &sig, Some(&r.org), Timestamp::now())
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
                _ => Err("không đọc được tệp hoặc chữ ký đã lưu".to_owned()),
            };
            return Ok(Some(
                Verification {
                    number: r.number,
                    kind: "result",
                    issuer,
                    issuer_code: r.org.to_string(),
                    issued_at: display_vn(r.issued_at),
                    sha256: r.sha256,
                    signer: r.signer,
                    valid: check.is_ok(),
                    reason: check.err(),
                    amount: None,
                    revoked: None,
                }
                .revoked_if(self.revocation(number).await?),
            ));
        }
        if let Some(r) = self.payments.receipt(number).await? {
            let issuer =
                self.catalog.organisation(&r.org).await?.map_or_else(|| r.org.to_string(), |o| o.name.to_string());
            let digest = motcua_domain::audit::sha256_hex(
                format!("{}|{}|{}|{}|{}", r.number, r.org, r.dossier, r.amount, r.issued_at.as_microsecond())
                    .as_bytes(),
            );
            return Ok(Some(
                Verification {
                    number: r.number,
                    kind: "receipt",
                    issuer,
                    issuer_code: r.org.to_string(),
                    issued_at: display_vn(r.issued_at),
                    sha256: digest,
                    signer: r.issued_by,
                    valid: true,
                    reason: None,
                    amount: Some(crate::app::display::vnd(r.amount)),
                    revoked: None,
                }
                .revoked_if(self.revocation(number).await?),
            ));
        }
        Ok(None)
    }
}

/// Shipment statuses a carrier reports (results sent by post).
pub const STATUSES: [(&str, &str); 6] = [
    ("created", "Đã tạo vận đơn"),
    ("picked_up", "Bưu điện đã nhận"),
    ("in_transit", "Đang vận chuyển"),
    ("delivered", "Đã phát thành công"),
    ("failed", "Phát không thành công"),
    ("returned", "Đã hoàn trả cơ quan"),
];

/// A shipment status in Vietnamese.
pub fn status_label(s: &str) -> &str {
    STATUSES.iter().find(|(k, _)| *k == s).map_or(s, |(_, l)| l)
}
