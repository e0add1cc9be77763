//! Seals: what a paper's QR code carries so that anyone can check it without a network.
//!
//! A seal is a CBOR Web Token (RFC 8392) signed as a COSE_Sign1 message (RFC 9052, tag 18)
//! by the issuing organisation's key, with that organisation's certificate in the `x5chain`
//! header (RFC 9360); its bytes are Base45 (RFC 9285), the alphabet of QR alphanumeric mode,
//! after the prefix `MC1:`. It is the shape of the EU digital COVID certificate and of
//! MOSIP's Claim 169 (without their compression: a seal is mostly a certificate, a hash and
//! a signature, which do not compress). A checker needs only the deployment's CA
//! certificate: the seal brings the rest.
//!
//! Claims: `iss` (1) the issuing organisation's code, `sub` (2) the paper's number, `iat` (6)
//! when it was issued, and private claims `-70001` the paper's kind (`KQ` result, `BL`
//! receipt, `01`/`04` forms of Circular 01/2018/TT-VPCP), `-70002` the SHA-256 of the signed
//! file, `-70003` the holder's name masked, `-70004` the online verification address,
//! `-70005` the amount (VND) of a receipt, `-70006` the date the result is promised for
//! (forms 01 and 04; seconds since 1970, as `iat`).

use coset::cwt::{ClaimName, ClaimsSet, ClaimsSetBuilder, Timestamp as CwtTime};
use coset::iana;
use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, Label, TaggedCborSerializable};
use jiff::Timestamp;
use motcua_domain::OrgCode;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{Id, PKeyRef, Private, Public};
use openssl::sign::{Signer, Verifier};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509StoreContext};

use crate::ExchangeError;
use crate::pki::{CertificateInfo, SigningIdentity, certificate_info};
use crate::sign::TrustAnchors;

/// What starts every seal's text.
pub const PREFIX: &str = "MC1:";
/// The `x5chain` header parameter (RFC 9360).
const X5CHAIN: i64 = 33;
const KIND: i64 = -70_001;
const SHA256: i64 = -70_002;
const HOLDER: i64 = -70_003;
const URL: i64 = -70_004;
const AMOUNT: i64 = -70_005;
const DUE: i64 = -70_006;
/// A seal longer than this is not ours (a QR code holds at most 4,296 characters).
const MAX_TEXT: usize = 4_296;

/// Which paper a seal is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperKind {
    /// A result (kết quả giải quyết), signed file and all.
    Result,
    /// An electronic receipt of fees (biên lai).
    Receipt,
    /// Form 01: the receipt of a dossier with the date to return the result.
    Form01,
    /// Form 04: the apology for a late dossier, with the new date.
    Form04,
}

impl PaperKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Result => "KQ",
            Self::Receipt => "BL",
            Self::Form01 => "01",
            Self::Form04 => "04",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Result, Self::Receipt, Self::Form01, Self::Form04].into_iter().find(|k| k.code() == code)
    }
    /// What the paper is called, in Vietnamese.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Result => "Kết quả giải quyết thủ tục hành chính",
            Self::Receipt => "Biên lai thu phí, lệ phí",
            Self::Form01 => "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (mẫu 01)",
            Self::Form04 => "Phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)",
        }
    }
}

/// What a seal says about its paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperClaims {
    pub number: String,
    pub kind: PaperKind,
    pub issuer: OrgCode,
    /// Whole seconds (what the token keeps).
    pub issued_at: Timestamp,
    /// SHA-256 of the signed file (results).
    pub sha256: Option<[u8; 32]>,
    /// The holder's name as public pages mask it.
    pub holder: String,
    /// Where to check online whether the paper was revoked since.
    pub url: String,
    /// The amount collected, in đồng (receipts).
    pub amount: Option<i64>,
    /// When the result is promised (forms 01 and 04), whole seconds.
    pub due: Option<Timestamp>,
}

/// A seal that verified: what it says and who signed it.
#[derive(Debug, Clone)]
pub struct Opened {
    pub claims: PaperClaims,
    pub signer: CertificateInfo,
}

/// Why a seal was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("không phải mã QR ký số của motcua (thiếu tiền tố {PREFIX})")]
    NotASeal,
    #[error("mã QR hỏng: {0}")]
    Malformed(String),
    #[error("mã QR không mang chứng thư số của cơ quan ký")]
    NoCertificate,
    #[error("chứng thư số của người ký chưa có hiệu lực (từ {0})")]
    NotYetValid(Timestamp),
    #[error("chứng thư số của người ký đã hết hạn ({0})")]
    Expired(Timestamp),
    #[error("chứng thư số không do tổ chức chứng thực tin cậy cấp: {0}")]
    Untrusted(String),
    #[error("chữ ký không khớp nội dung (mã QR đã bị sửa hoặc giả mạo)")]
    BadSignature,
    #[error("chứng thư số của {signer} không thuộc cơ quan ghi trên giấy tờ {claimed}")]
    WrongIssuer { signer: String, claimed: String },
}

fn malformed(what: impl std::fmt::Display) -> SealError {
    SealError::Malformed(what.to_string())
}

/// The seal of a paper, signed by `identity` (whose certificate goes inside).
pub fn seal(identity: &SigningIdentity, claims: &PaperClaims) -> Result<String, ExchangeError> {
    let alg = match identity.key.id() {
        Id::EC => iana::Algorithm::ES256,
        Id::RSA => iana::Algorithm::RS256,
        _ => return Err(ExchangeError::Key("chỉ ký mã QR bằng khóa ECDSA P-256 hoặc RSA".into())),
    };
    let mut b = ClaimsSetBuilder::new()
        .issuer(claims.issuer.to_string())
        .subject(claims.number.clone())
        .issued_at(CwtTime::WholeSeconds(claims.issued_at.as_second()))
        .private_claim(KIND, claims.kind.code().into())
        .private_claim(HOLDER, claims.holder.clone().into())
        .private_claim(URL, claims.url.clone().into());
    if let Some(h) = claims.sha256 {
        b = b.private_claim(SHA256, h.to_vec().into());
    }
    if let Some(a) = claims.amount {
        b = b.private_claim(AMOUNT, a.into());
    }
    if let Some(d) = claims.due {
        b = b.private_claim(DUE, d.as_second().into());
    }
    let payload = b.build().to_vec().map_err(|e| ExchangeError::Invalid(format!("CWT: {e}")))?;
    let der = identity.cert.to_der()?;
    let message = CoseSign1Builder::new()
        .protected(HeaderBuilder::new().algorithm(alg).build())
        .unprotected(HeaderBuilder::new().value(X5CHAIN, der.into()).build())
        .payload(payload)
        .try_create_signature(&[], |data| sign_raw(&identity.key, alg, data))?
        .build();
    let bytes = message.to_tagged_vec().map_err(|e| ExchangeError::Invalid(format!("COSE: {e}")))?;
    Ok(format!("{PREFIX}{}", base45::encode(&bytes)))
}

/// Checks a seal at `now`: its certificate chains to one of `anchors` and is valid now, it
/// names the organisation the claims say issued the paper, and the signature covers
/// exactly these claims. Needs no network.
pub fn open(text: &str, anchors: &TrustAnchors, now: Timestamp) -> Result<Opened, SealError> {
    let text = text.trim();
    let body = text.strip_prefix(PREFIX).ok_or(SealError::NotASeal)?;
    if text.len() > MAX_TEXT {
        return Err(malformed("quá dài"));
    }
    let bytes = base45::decode(body).map_err(|_| malformed("không phải Base45"))?;
    let message = CoseSign1::from_tagged_slice(&bytes)
        .or_else(|_| CoseSign1::from_slice(&bytes))
        .map_err(|_| malformed("không phải COSE_Sign1"))?;
    let alg = match &message.protected.header.alg {
        Some(coset::RegisteredLabelWithPrivate::Assigned(a)) => *a,
        _ => return Err(malformed("thiếu thuật toán ký")),
    };
    let der = message
        .unprotected
        .rest
        .iter()
        .chain(message.protected.header.rest.iter())
        .find(|(l, _)| *l == Label::Int(X5CHAIN))
        .and_then(|(_, v)| match v {
            ciborium::Value::Bytes(b) => Some(b.clone()),
            // A chain: the signer first.
            ciborium::Value::Array(a) => a.first().and_then(|v| v.as_bytes().cloned()),
            _ => None,
        })
        .ok_or(SealError::NoCertificate)?;
    let cert = X509::from_der(&der).map_err(|_| SealError::NoCertificate)?;
    let info = certificate_info(&cert).map_err(|_| SealError::NoCertificate)?;
    if now < info.not_before {
        return Err(SealError::NotYetValid(info.not_before));
    }
    if now > info.not_after {
        return Err(SealError::Expired(info.not_after));
    }
    chains(&cert, anchors)?;
    let key = cert.public_key().map_err(|_| SealError::NoCertificate)?;
    message.verify_signature(&[], |sig, data| verify_raw(&key, alg, sig, data))?;
    let payload = message.payload.as_deref().ok_or_else(|| malformed("không có nội dung"))?;
    let claims = claims_of(ClaimsSet::from_slice(payload).map_err(|_| malformed("nội dung không phải CWT"))?)?;
    if info.org.as_ref() != Some(&claims.issuer) {
        return Err(SealError::WrongIssuer {
            signer: info.org.as_ref().map_or_else(|| info.subject.clone(), |o| o.to_string()),
            claimed: claims.issuer.to_string(),
        });
    }
    Ok(Opened { claims, signer: info })
}

/// The certificate chains to an anchor (by OpenSSL, which also checks key usage).
fn chains(cert: &X509, anchors: &TrustAnchors) -> Result<(), SealError> {
    let untrusted = |e: openssl::error::ErrorStack| SealError::Untrusted(e.to_string());
    let mut store = X509StoreBuilder::new().map_err(untrusted)?;
    for root in anchors.roots() {
        store.add_cert(root.clone()).map_err(untrusted)?;
    }
    let store = store.build();
    let chain = Stack::new().map_err(untrusted)?;
    let mut ctx = X509StoreContext::new().map_err(untrusted)?;
    let outcome = ctx
        .init(&store, cert, &chain, |c| Ok(if c.verify_cert()? { Ok(()) } else { Err(c.error()) }))
        .map_err(untrusted)?;
    outcome.map_err(|e| SealError::Untrusted(e.error_string().to_owned()))
}

fn sign_raw(key: &PKeyRef<Private>, alg: iana::Algorithm, data: &[u8]) -> Result<Vec<u8>, ExchangeError> {
    if alg == iana::Algorithm::ES256 {
        // COSE keeps r and s side by side, 32 bytes each (RFC 9053 §2.1), not in DER.
        let digest = hash(MessageDigest::sha256(), data)?;
        let sig = EcdsaSig::sign(&digest, &*key.ec_key()?)?;
        let mut out = sig.r().to_vec_padded(32)?;
        out.extend(sig.s().to_vec_padded(32)?);
        return Ok(out);
    }
    let mut signer = Signer::new(MessageDigest::sha256(), key)?;
    signer.update(data)?;
    Ok(signer.sign_to_vec()?)
}

fn verify_raw(key: &PKeyRef<Public>, alg: iana::Algorithm, sig: &[u8], data: &[u8]) -> Result<(), SealError> {
    let ok = match (alg, key.id()) {
        (iana::Algorithm::ES256, Id::EC) if sig.len() == 64 => (|| {
            let (r, s) = sig.split_at(32);
            let sig = EcdsaSig::from_private_components(BigNum::from_slice(r)?, BigNum::from_slice(s)?)?;
            sig.verify(&hash(MessageDigest::sha256(), data)?, &*key.ec_key()?)
        })()
        .unwrap_or(false),
        (iana::Algorithm::RS256, Id::RSA) => (|| {
            let mut v = Verifier::new(MessageDigest::sha256(), key)?;
            v.update(data)?;
            v.verify(sig)
        })()
        .unwrap_or(false),
        _ => false,
    };
    ok.then_some(()).ok_or(SealError::BadSignature)
}

fn claims_of(set: ClaimsSet) -> Result<PaperClaims, SealError> {
    let text = |v: &ciborium::Value| v.as_text().map(str::to_owned);
    let private = |key: i64| set.rest.iter().find(|(n, _)| *n == ClaimName::PrivateUse(key)).map(|(_, v)| v);
    let issuer = set.issuer.as_deref().ok_or_else(|| malformed("thiếu cơ quan cấp"))?;
    let issuer = OrgCode::parse(issuer).map_err(|_| malformed("mã cơ quan cấp sai"))?;
    let issued_at = match set.issued_at {
        Some(CwtTime::WholeSeconds(s)) => Timestamp::from_second(s).map_err(|_| malformed("ngày cấp sai"))?,
        _ => return Err(malformed("thiếu ngày cấp")),
    };
    let kind =
        private(KIND).and_then(text).and_then(|k| PaperKind::parse(&k)).ok_or_else(|| malformed("loại giấy tờ"))?;
    let sha256 = match private(SHA256) {
        None => None,
        Some(v) => Some(
            v.as_bytes()
                .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                .ok_or_else(|| malformed("mã băm sai"))?,
        ),
    };
    let amount = match private(AMOUNT) {
        None => None,
        Some(v) => Some(v.as_integer().and_then(|i| i64::try_from(i).ok()).ok_or_else(|| malformed("số tiền sai"))?),
    };
    let due = match private(DUE) {
        None => None,
        Some(v) => Some(
            v.as_integer()
                .and_then(|i| i64::try_from(i).ok())
                .and_then(|s| Timestamp::from_second(s).ok())
                .ok_or_else(|| malformed("ngày hẹn sai"))?,
        ),
    };
    Ok(PaperClaims {
        due,
        number: set.subject.clone().ok_or_else(|| malformed("thiếu số giấy tờ"))?,
        kind,
        issuer,
        issued_at,
        sha256,
        holder: private(HOLDER).and_then(text).unwrap_or_default(),
        url: private(URL).and_then(text).unwrap_or_default(),
        amount,
    })
}

/// The QR text is for people too: `MC1:` and Base45 only.
pub fn looks_like_seal(text: &str) -> bool {
    text.trim().starts_with(PREFIX)
}

/// The hexadecimal SHA-256 of a stored file as the 32 bytes a seal carries.
pub fn sha256_bytes(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
#[path = "seal_tests.rs"]
mod tests;
