//! Detached CMS (PKCS#7 SignedData) signatures over a package's canonical bytes, in DER:
//! what `openssl cms -verify -binary -inform DER -content FILE -CAfile ca.pem` checks.

use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use motcua_domain::OrgCode;
use openssl::error::ErrorStack;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::{X509, X509Ref};

use crate::ExchangeError;
use crate::pki::{CertificateInfo, SigningIdentity, certificate_info};

/// Signs `content` with the identity's key; the signer's certificate travels inside.
pub fn sign_detached(identity: &SigningIdentity, content: &[u8]) -> Result<Vec<u8>, ExchangeError> {
    let extra = Stack::new()?;
    let p7 = Pkcs7::sign(&identity.cert, &identity.key, &extra, content, Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY)?;
    Ok(p7.to_der()?)
}

/// Why a signature was not accepted; the text goes into quarantine records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("chữ ký không đọc được (không phải CMS/PKCS#7 DER)")]
    Malformed,
    #[error("gói tin không có chữ ký số")]
    Missing,
    #[error("chứng thư số của người ký chưa có hiệu lực (từ {0})")]
    NotYetValid(Timestamp),
    #[error("chứng thư số của người ký đã hết hạn ({0})")]
    Expired(Timestamp),
    #[error("chứng thư số không do tổ chức chứng thực tin cậy cấp: {0}")]
    Untrusted(String),
    #[error("nội dung không khớp chữ ký (gói tin đã bị thay đổi)")]
    Tampered,
    #[error("chứng thư số của {signer} không thuộc cơ quan gửi {claimed}")]
    WrongSigner { signer: String, claimed: String },
    /// An XML signature of a form not accepted (algorithm, shape, what it covers).
    #[error("chữ ký XML không được chấp nhận: {0}")]
    Unsupported(String),
}

/// The certificates a verifier trusts as roots, and the OpenSSL store holding them, built
/// once for every signature checked against the same anchors (OpenSSL lets many checks share
/// one store).
#[derive(Clone, Default)]
pub struct TrustAnchors {
    roots: Vec<X509>,
    store: Arc<OnceLock<X509Store>>,
}

impl TrustAnchors {
    pub fn new(roots: Vec<X509>) -> Self {
        Self { roots, store: Arc::default() }
    }
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
    pub fn len(&self) -> usize {
        self.roots.len()
    }
    pub fn roots(&self) -> &[X509] {
        &self.roots
    }
    pub fn push(&mut self, root: X509) {
        self.roots.push(root);
        self.store = Arc::default();
    }

    /// The store of the roots, built on first use.
    pub(crate) fn store(&self) -> Result<&X509Store, ErrorStack> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let mut store = X509StoreBuilder::new()?;
        for root in &self.roots {
            store.add_cert(root.clone())?;
        }
        Ok(self.store.get_or_init(|| store.build()))
    }
}

/// Verifies a detached signature at `now`: the signer's certificate chains to one of the
/// anchors and is valid now, and the content is what was signed. If `expected_org` is
/// given, the signer's certificate must name that organisation. Returns the signer.
pub fn verify_detached(
    anchors: &TrustAnchors,
    content: &[u8],
    signature: &[u8],
    expected_org: Option<&OrgCode>,
    now: Timestamp,
) -> Result<CertificateInfo, VerifyError> {
    if signature.is_empty() {
        return Err(VerifyError::Missing);
    }
    let p7 = Pkcs7::from_der(signature).map_err(|_| VerifyError::Malformed)?;
    let none = Stack::new().map_err(|_| VerifyError::Malformed)?;
    let signers = p7.signers(&none, Pkcs7Flags::empty()).map_err(|_| VerifyError::Malformed)?;
    let signer: &X509Ref = signers.iter().next().ok_or(VerifyError::Malformed)?;
    let info = certificate_info(signer).map_err(|_| VerifyError::Malformed)?;
    // Validity first, so the reason given is the precise one.
    if now < info.not_before {
        return Err(VerifyError::NotYetValid(info.not_before));
    }
    if now > info.not_after {
        return Err(VerifyError::Expired(info.not_after));
    }
    let store = anchors.store().map_err(|_| VerifyError::Malformed)?;
    // Chain and content are checked together by OpenSSL. Only when that fails is the content
    // checked alone (NOVERIFY skips the chain), to tell a changed package from an untrusted
    // signer; a good signature is verified once.
    if let Err(e) = p7.verify(&none, store, Some(content), None, Pkcs7Flags::BINARY) {
        if p7.verify(&none, store, Some(content), None, Pkcs7Flags::BINARY | Pkcs7Flags::NOVERIFY).is_err() {
            return Err(VerifyError::Tampered);
        }
        let reason = e
            .errors()
            .iter()
            .filter_map(|e| e.data().map(str::to_owned).or_else(|| e.reason().map(str::to_owned)))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(VerifyError::Untrusted(reason));
    }
    signer_is(&info, expected_org)?;
    Ok(info)
}

/// That the signer's certificate names `expected` (when given).
pub(crate) fn signer_is(info: &CertificateInfo, expected: Option<&OrgCode>) -> Result<(), VerifyError> {
    match expected {
        Some(expected) if info.org.as_ref() != Some(expected) => Err(VerifyError::WrongSigner {
            signer: info.org.as_ref().map_or_else(|| info.subject.clone(), |o| o.to_string()),
            claimed: expected.to_string(),
        }),
        _ => Ok(()),
    }
}
