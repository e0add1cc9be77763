//! XML Signatures (XML-DSig, W3C) over a whole package, as the national document axis's
//! packages carry them: one enveloped signature (`Reference URI=""`, transforms
//! enveloped-signature and exclusive canonicalisation, SHA-256), the signer's certificate in
//! `KeyInfo/X509Data`. What `xmlsec1 --verify --trusted-pem ca.pem package.xml` checks.
//!
//! Read from outside: SHA-1 or SHA-256 digests, RSA (SHA-1/SHA-256/SHA-512) or ECDSA
//! (SHA-256) signatures, Canonical XML 1.0 or exclusive canonicalisation; exactly one
//! signature in the document and one reference, to the whole of it (a second signature or a
//! reference to part of the document could sign something other than what is read).

mod c14n;
mod decoded;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use motcua_domain::OrgCode;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{Id, PKeyRef, Private, Public};
use openssl::sign::{Signer, Verifier};
use openssl::stack::Stack;
use openssl::x509::{X509, X509StoreContext};

pub use c14n::Method;
use c14n::{Element, Scope, canonicalize, local_of, parse, prefix_of};

use crate::ExchangeError;
use crate::pki::{CertificateInfo, SigningIdentity};
use crate::sign::{TrustAnchors, VerifyError};

/// The XML-DSig namespace.
pub const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

fn method(algorithm: &str) -> Option<Method> {
    match algorithm {
        EXC_C14N => Some(Method::Exclusive),
        C14N => Some(Method::Inclusive),
        _ => None,
    }
}

/// The `<Signature>` element for a document whose bytes are `unsigned`, to be put where the
/// document's empty signature slot is: the digest is over `unsigned` canonicalised, which is
/// what a verifier gets after taking the signature out again.
pub fn sign(unsigned: &[u8], identity: &SigningIdentity) -> Result<String, ExchangeError> {
    let root = parse(unsigned)?;
    let digest = hash(MessageDigest::sha256(), &canonicalize(&root, &Scope::default(), Method::Exclusive, None))?;
    let algorithm = match identity.key.id() {
        Id::EC => ECDSA_SHA256,
        Id::RSA => RSA_SHA256,
        _ => return Err(ExchangeError::Key("khóa phải là RSA hoặc ECDSA".into())),
    };
    let signed_info = format!(
        "<SignedInfo><CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></CanonicalizationMethod>\
         <SignatureMethod Algorithm=\"{algorithm}\"></SignatureMethod><Reference URI=\"\"><Transforms>\
         <Transform Algorithm=\"{ENVELOPED}\"></Transform><Transform Algorithm=\"{EXC_C14N}\"></Transform>\
         </Transforms><DigestMethod Algorithm=\"{SHA256}\"></DigestMethod><DigestValue>{}</DigestValue>\
         </Reference></SignedInfo>",
        B64.encode(digest)
    );
    // Canonicalised the way a verifier will: inside the Signature that declares the namespace.
    let holder = parse(format!("<Signature xmlns=\"{DSIG}\">{signed_info}</Signature>").as_bytes())?;
    let info = holder.elements().next().ok_or_else(|| ExchangeError::Malformed("SignedInfo".into()))?;
    let canonical = canonicalize(info, &Scope::default().with(&holder), Method::Exclusive, None);
    let value = sign_bytes(&identity.key, &canonical)?;
    let cert = B64.encode(identity.cert.to_der()?);
    Ok(format!(
        "<Signature xmlns=\"{DSIG}\">{signed_info}<SignatureValue>{}</SignatureValue><KeyInfo><X509Data>\
         <X509Certificate>{cert}</X509Certificate></X509Data></KeyInfo></Signature>",
        B64.encode(value)
    ))
}

fn sign_bytes(key: &PKeyRef<Private>, data: &[u8]) -> Result<Vec<u8>, ExchangeError> {
    let mut signer = Signer::new(MessageDigest::sha256(), key)?;
    signer.update(data)?;
    let der = signer.sign_to_vec()?;
    if key.id() != Id::EC {
        return Ok(der);
    }
    // XML-DSig carries an ECDSA signature as r ‖ s, each as long as the curve's order.
    let sig = EcdsaSig::from_der(&der)?;
    let width = usize::try_from(key.bits().div_ceil(8)).unwrap_or(32);
    let mut out = sig.r().to_vec_padded(i32::try_from(width).unwrap_or(32))?;
    out.extend(sig.s().to_vec_padded(i32::try_from(width).unwrap_or(32))?);
    Ok(out)
}

/// In `e` (in scope `scope`), the elements named `local` in the XML-DSig namespace, each
/// with the namespaces in scope at it.
fn dsig_elements<'a>(e: &'a Element, scope: &Scope, local: &str, found: &mut Vec<(&'a Element, Scope)>) {
    let scope = scope.with(e);
    if e.local() == local && scope.uri(prefix_of(&e.qname)) == Some(DSIG) {
        found.push((e, scope.clone()));
    }
    for c in e.elements() {
        dsig_elements(c, &scope, local, found);
    }
}

/// The one child of `e` named `local` in the XML-DSig namespace.
fn child<'a>(e: &'a Element, local: &str) -> Result<&'a Element, VerifyError> {
    let mut found = e.elements().filter(|c| c.local() == local);
    match (found.next(), found.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(VerifyError::Unsupported(format!("cần đúng một phần tử {local}"))),
    }
}

fn algorithm(e: &Element) -> Result<&str, VerifyError> {
    e.attr("Algorithm").ok_or_else(|| VerifyError::Unsupported(format!("{} thiếu Algorithm", local_of(&e.qname))))
}

fn decode(text: &str) -> Result<Vec<u8>, VerifyError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    B64.decode(compact).map_err(|_| VerifyError::Malformed)
}

/// Verifies the enveloped signature of the document `bytes`: the digest of the document
/// without the signature, the signature over `SignedInfo`, and the signer's certificate —
/// valid at `now`, chaining to one of `anchors` (with any other certificates the signature
/// carries as intermediates) and, if `expected_org` is given, naming that organisation.
pub fn verify(
    bytes: &[u8],
    anchors: &TrustAnchors,
    expected_org: Option<&OrgCode>,
    now: Timestamp,
) -> Result<CertificateInfo, VerifyError> {
    let root = parse(bytes).map_err(|_| VerifyError::Malformed)?;
    let mut found = Vec::new();
    dsig_elements(&root, &Scope::default(), "Signature", &mut found);
    let (signature, scope) = match found.len() {
        0 => return Err(VerifyError::Missing),
        1 => found.remove(0),
        n => return Err(VerifyError::Unsupported(format!("gói tin có {n} chữ ký XML; chỉ nhận một"))),
    };
    let info = child(signature, "SignedInfo")?;
    let info_method = method(algorithm(child(info, "CanonicalizationMethod")?)?)
        .ok_or_else(|| VerifyError::Unsupported("phương pháp chuẩn hóa SignedInfo".into()))?;
    let signature_method = algorithm(child(info, "SignatureMethod")?)?;
    let reference = child(info, "Reference")?;
    if reference.attr("URI") != Some("") {
        return Err(VerifyError::Unsupported("chữ ký phải phủ toàn bộ gói tin (Reference URI=\"\")".into()));
    }
    let mut enveloped = false;
    let mut doc_method = Method::Inclusive;
    if let Some(transforms) = reference.elements().find(|e| e.local() == "Transforms") {
        for t in transforms.elements() {
            match algorithm(t)? {
                ENVELOPED => enveloped = true,
                other => {
                    doc_method = method(other)
                        .ok_or_else(|| VerifyError::Unsupported(format!("phép biến đổi không hỗ trợ: {other}")))?
                }
            }
        }
    }
    if !enveloped {
        return Err(VerifyError::Unsupported("chữ ký phải là enveloped-signature".into()));
    }
    let digest_method = match algorithm(child(reference, "DigestMethod")?)? {
        SHA256 => MessageDigest::sha256(),
        SHA1 => MessageDigest::sha1(),
        other => return Err(VerifyError::Unsupported(format!("hàm băm không hỗ trợ: {other}"))),
    };
    let expected_digest = decode(&child(reference, "DigestValue")?.text())?;
    let certs: Vec<decoded::Decoded> = signature
        .elements()
        .filter(|e| e.local() == "KeyInfo")
        .flat_map(|k| k.elements().filter(|e| e.local() == "X509Data"))
        .flat_map(|d| d.elements().filter(|e| e.local() == "X509Certificate"))
        .map(|c| decode(&c.text()).and_then(decoded::certificate))
        .collect::<Result<_, _>>()?;
    let signer =
        certs.first().ok_or(VerifyError::Unsupported("chữ ký không kèm chứng thư số (X509Certificate)".into()))?;
    let signer_info = signer.info.as_deref().cloned().ok_or(VerifyError::Malformed)?;
    if now < signer_info.not_before {
        return Err(VerifyError::NotYetValid(signer_info.not_before));
    }
    if now > signer_info.not_after {
        return Err(VerifyError::Expired(signer_info.not_after));
    }
    // The content first, then the signature over SignedInfo, then the chain.
    let canonical = canonicalize(&root, &Scope::default(), doc_method, Some(signature));
    let digest = openssl::hash::hash(digest_method, &canonical).map_err(|_| VerifyError::Malformed)?;
    if digest.as_ref() != expected_digest.as_slice() {
        return Err(VerifyError::Tampered);
    }
    let canonical_info = canonicalize(info, &scope, info_method, None);
    let value = decode(&child(signature, "SignatureValue")?.text())?;
    let key = signer.cert.public_key().map_err(|_| VerifyError::Malformed)?;
    if !verify_bytes(&key, signature_method, &canonical_info, &value)? {
        return Err(VerifyError::Tampered);
    }
    let intermediates: Vec<&X509> = certs[1..].iter().map(|d| &d.cert).collect();
    check_chain(anchors, &signer.cert, &intermediates)?;
    crate::sign::signer_is(&signer_info, expected_org)?;
    Ok(signer_info)
}

fn verify_bytes(key: &PKeyRef<Public>, algorithm: &str, data: &[u8], value: &[u8]) -> Result<bool, VerifyError> {
    let (digest, ec) = match algorithm {
        RSA_SHA256 => (MessageDigest::sha256(), false),
        RSA_SHA512 => (MessageDigest::sha512(), false),
        RSA_SHA1 => (MessageDigest::sha1(), false),
        ECDSA_SHA256 => (MessageDigest::sha256(), true),
        other => return Err(VerifyError::Unsupported(format!("thuật toán ký không hỗ trợ: {other}"))),
    };
    if ec != (key.id() == Id::EC) {
        return Err(VerifyError::Unsupported("thuật toán ký không khớp khóa của chứng thư".into()));
    }
    let der;
    let value = if ec {
        if value.is_empty() || !value.len().is_multiple_of(2) {
            return Ok(false);
        }
        let (r, s) = value.split_at(value.len() / 2);
        let sig = BigNum::from_slice(r)
            .and_then(|r| BigNum::from_slice(s).and_then(|s| EcdsaSig::from_private_components(r, s)))
            .map_err(|_| VerifyError::Malformed)?;
        der = sig.to_der().map_err(|_| VerifyError::Malformed)?;
        der.as_slice()
    } else {
        value
    };
    let mut verifier = Verifier::new(digest, key).map_err(|_| VerifyError::Malformed)?;
    verifier.update(data).map_err(|_| VerifyError::Malformed)?;
    Ok(verifier.verify(value).unwrap_or(false))
}

fn check_chain(anchors: &TrustAnchors, signer: &X509, intermediates: &[&X509]) -> Result<(), VerifyError> {
    let store = anchors.store().map_err(|_| VerifyError::Malformed)?;
    let mut chain = Stack::new().map_err(|_| VerifyError::Malformed)?;
    for c in intermediates {
        chain.push((*c).clone()).map_err(|_| VerifyError::Malformed)?;
    }
    let mut ctx = X509StoreContext::new().map_err(|_| VerifyError::Malformed)?;
    let (ok, reason) = ctx
        .init(store, signer, &chain, |c| {
            let ok = c.verify_cert()?;
            Ok((ok, c.error().error_string().to_owned()))
        })
        .map_err(|_| VerifyError::Malformed)?;
    if ok { Ok(()) } else { Err(VerifyError::Untrusted(reason)) }
}
