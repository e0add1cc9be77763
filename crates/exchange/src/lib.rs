//! Official document exchange for motcua: the deployment's PKI ([`pki`]), edXML packages
//! of QCVN 102:2016/BTTTT ([`edxml`]), detached CMS signatures ([`sign`]) and the signed QR
//! payloads that let a printed paper be checked offline ([`seal`]).
//!
//! Nothing here touches the database or the network: the server decides where packages go
//! and what is kept; this crate makes, signs, reads and checks them.

pub mod edxml;
pub mod pki;
pub mod seal;
pub mod sign;
pub mod xmldsig;

use jiff::Timestamp;
use thiserror::Error;

pub use edxml::{DocumentPackage, Shape, StatusPackage};
/// The OpenSSL binding this crate uses, for callers handling its certificate types.
pub use openssl;
pub use pki::{CertificateInfo, KeyAlgorithm, SigningIdentity};
pub use sign::{TrustAnchors, VerifyError};

#[derive(Debug, Error)]
pub enum ExchangeError {
    /// Not a well-formed package.
    #[error("gói tin edXML không hợp lệ: {0}")]
    Malformed(String),
    /// Well-formed XML that tries something refused (DTD, entities).
    #[error("gói tin edXML bị từ chối: {0}")]
    Forbidden(String),
    #[error("gói tin quá lớn: {size} byte, tối đa {limit}")]
    TooLarge { size: usize, limit: usize },
    /// A header that breaks QCVN 102's rules.
    #[error("{0}")]
    Invalid(String),
    #[error("chứng thư số: {0}")]
    Certificate(String),
    #[error("khóa bí mật: {0}")]
    Key(String),
    #[error("lỗi OpenSSL: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
}

impl DocumentPackage {
    /// Signs the package with the sender's identity: an enveloped XML-DSig signature over
    /// the whole package in the axis's layout, a detached CMS signature over
    /// [`DocumentPackage::canonical`] in motcua's earlier one.
    pub fn sign(&mut self, identity: &SigningIdentity) -> Result<(), ExchangeError> {
        self.signature = None;
        self.signature = Some(sign_package(self.shape, || self.to_xml(), || self.canonical(), identity)?);
        Ok(())
    }

    /// Checks the signature of a package this server wrote (see [`Self::verify_in`]).
    pub fn verify(&self, anchors: &TrustAnchors, now: Timestamp) -> Result<CertificateInfo, VerifyError> {
        self.verify_in(self.to_xml().as_bytes(), anchors, now)
    }

    /// Checks the signature of `raw`, the bytes this package was read from: made by a
    /// certificate of the sending organisation, chaining to one of `anchors`, valid at
    /// `now`, over exactly this content.
    pub fn verify_in(
        &self,
        raw: &[u8],
        anchors: &TrustAnchors,
        now: Timestamp,
    ) -> Result<CertificateInfo, VerifyError> {
        verify_package(
            self.shape,
            self.signature.as_deref(),
            raw,
            || self.canonical(),
            &self.header.from.id,
            anchors,
            now,
        )
    }
}

impl StatusPackage {
    pub fn sign(&mut self, identity: &SigningIdentity) -> Result<(), ExchangeError> {
        self.signature = None;
        self.signature = Some(sign_package(self.shape, || self.to_xml(), || self.canonical(), identity)?);
        Ok(())
    }

    /// As [`DocumentPackage::verify`], for the organisation that sent the status.
    pub fn verify(&self, anchors: &TrustAnchors, now: Timestamp) -> Result<CertificateInfo, VerifyError> {
        self.verify_in(self.to_xml().as_bytes(), anchors, now)
    }

    /// As [`DocumentPackage::verify_in`].
    pub fn verify_in(
        &self,
        raw: &[u8],
        anchors: &TrustAnchors,
        now: Timestamp,
    ) -> Result<CertificateInfo, VerifyError> {
        verify_package(self.shape, self.signature.as_deref(), raw, || self.canonical(), &self.from.id, anchors, now)
    }
}

/// The signature of an unsigned package: XML-DSig over the whole of it in the axis's
/// layout, detached CMS over its canonical form in motcua's earlier one.
fn sign_package(
    shape: Shape,
    unsigned: impl FnOnce() -> String,
    canonical: impl FnOnce() -> Vec<u8>,
    identity: &SigningIdentity,
) -> Result<Vec<u8>, ExchangeError> {
    Ok(match shape {
        Shape::Axis => xmldsig::sign(unsigned().as_bytes(), identity)?.into_bytes(),
        Shape::Motcua => sign::sign_detached(identity, &canonical())?,
    })
}

fn verify_package(
    shape: Shape,
    signature: Option<&[u8]>,
    raw: &[u8],
    canonical: impl FnOnce() -> Vec<u8>,
    from: &motcua_domain::OrgCode,
    anchors: &TrustAnchors,
    now: Timestamp,
) -> Result<CertificateInfo, VerifyError> {
    let signature = signature.ok_or(VerifyError::Missing)?;
    match shape {
        Shape::Axis => xmldsig::verify(raw, anchors, Some(from), now),
        Shape::Motcua => sign::verify_detached(anchors, &canonical(), signature, Some(from), now),
    }
}
