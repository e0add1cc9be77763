//! Certificates a signature carries, decoded once for each text they come in.
//!
//! Every package from a partner carries the same few certificates. Decoding one costs more
//! than checking the signature it vouches for: OpenSSL 3 decodes the public key inside
//! through its provider machinery, and reading the certificate's details checks a
//! self-signed one's own signature. Only what the bytes alone determine is kept here; the
//! validity at a time, the chain to the trust anchors and the signature over the package are
//! checked for every package.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use openssl::x509::X509;

use crate::pki::{CertificateInfo, certificate_info};
use crate::sign::VerifyError;

/// A certificate and what is read from it (None when its details cannot be read; it may
/// still serve as an intermediate, as it did before it was kept).
#[derive(Clone)]
pub(super) struct Decoded {
    pub cert: X509,
    pub info: Option<Arc<CertificateInfo>>,
}

/// Certificates are few (one per partner organisation, its CA); texts that change leave
/// their old entries behind, so the table starts again rather than grow without end.
const KEPT: usize = 256;
/// Real certificates are a few kilobytes; a larger one is checked but not kept, so what is
/// kept stays small whatever a package carries.
const KEPT_BYTES: usize = 16 * 1024;

static DECODED: LazyLock<Mutex<HashMap<Vec<u8>, Decoded>>> = LazyLock::new(Mutex::default);

/// The certificate whose DER encoding is `der`.
pub(super) fn certificate(der: Vec<u8>) -> Result<Decoded, VerifyError> {
    if let Some(known) = DECODED.lock().ok().and_then(|m| m.get(&der).cloned()) {
        return Ok(known);
    }
    let cert = X509::from_der(&der).map_err(|_| VerifyError::Malformed)?;
    let decoded = Decoded { info: certificate_info(&cert).ok().map(Arc::new), cert };
    if der.len() > KEPT_BYTES {
        return Ok(decoded);
    }
    if let Ok(mut m) = DECODED.lock() {
        if m.len() >= KEPT {
            m.clear();
        }
        m.insert(der, decoded.clone());
    }
    Ok(decoded)
}

/// Whether the certificate whose DER encoding is `der` is kept.
#[cfg(test)]
pub(super) fn kept(der: &[u8]) -> bool {
    DECODED.lock().is_ok_and(|m| m.contains_key(der))
}

#[cfg(test)]
mod tests {
    use jiff::{Timestamp, ToSpan};
    use motcua_domain::OrgCode;

    use super::*;
    use crate::pki::{KeyAlgorithm, SigningIdentity, Subject, create_ca, issue, load_identity};
    use crate::sign::TrustAnchors;
    use crate::xmldsig::{sign, verify};

    const PASS: &[u8] = b"a passphrase of sixteen+";

    fn ca() -> SigningIdentity {
        let ca = create_ca("motcua CA thử", KeyAlgorithm::EcdsaP256, 3650, PASS).unwrap();
        load_identity(&ca.cert_pem, &ca.encrypted_key_pem, PASS).unwrap()
    }

    #[test]
    fn bytes_that_are_not_a_certificate_are_refused_and_not_kept() {
        let junk = b"not a certificate".to_vec();
        assert!(matches!(certificate(junk.clone()), Err(VerifyError::Malformed)));
        assert!(!kept(&junk));
    }

    #[test]
    fn a_certificate_larger_than_real_ones_is_read_but_not_kept() {
        use openssl::asn1::Asn1Time;
        use openssl::ec::{EcGroup, EcKey};
        use openssl::hash::MessageDigest;
        use openssl::nid::Nid;
        use openssl::pkey::PKey;
        use openssl::x509::{X509Builder, X509NameBuilder};

        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        for i in 0..400 {
            name.append_entry_by_text("OU", &format!("{i:0>60}")).unwrap();
        }
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap()).unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        let der = b.build().to_der().unwrap();
        assert!(der.len() > KEPT_BYTES, "{} bytes", der.len());
        let decoded = certificate(der.clone()).unwrap();
        assert!(decoded.info.is_some_and(|i| i.is_ca), "read as any other");
        assert!(!kept(&der));
    }

    /// Keeping a decoded certificate keeps nothing about trust: the same signer is checked
    /// against each call's anchors, time and expected organisation.
    #[test]
    fn a_kept_certificate_is_checked_again_on_every_signature() {
        let (ca, stranger) = (ca(), ca());
        let org = OrgCode::parse("000.00.37.H22").unwrap();
        let subject = Subject { org: Some(&org), common_name: "UBND phường Hạ Long" };
        let issued = issue(&ca, &subject, KeyAlgorithm::EcdsaP256, 365, None, PASS).unwrap();
        let signer = load_identity(&issued.cert_pem, &issued.encrypted_key_pem, PASS).unwrap();
        let unsigned = "<VanBan><TrichYeu>V/v phối hợp</TrichYeu></VanBan>";
        let signature = sign(unsigned.as_bytes(), &signer).unwrap();
        let signed = unsigned.replace("</VanBan>", &format!("{signature}</VanBan>"));
        let trusted = TrustAnchors::new(vec![ca.cert.clone()]);
        let now = Timestamp::now();

        let der = signer.cert.to_der().unwrap();
        assert!(!kept(&der));
        let first = verify(signed.as_bytes(), &trusted, Some(&org), now).unwrap();
        assert!(kept(&der), "the signer's certificate is kept after its first signature");
        assert_eq!(verify(signed.as_bytes(), &trusted, Some(&org), now).unwrap(), first);

        let untrusted = TrustAnchors::new(vec![stranger.cert.clone()]);
        assert!(matches!(verify(signed.as_bytes(), &untrusted, Some(&org), now), Err(VerifyError::Untrusted(_))));
        let later = now.checked_add((400 * 24).hours()).unwrap();
        assert!(matches!(verify(signed.as_bytes(), &trusted, Some(&org), later), Err(VerifyError::Expired(_))));
        let other = OrgCode::parse("000.00.01.H22").unwrap();
        assert!(matches!(verify(signed.as_bytes(), &trusted, Some(&other), now), Err(VerifyError::WrongSigner { .. })));
        let changed = signed.replace("phối hợp", "phối hợp gấp");
        assert!(matches!(verify(changed.as_bytes(), &trusted, Some(&org), now), Err(VerifyError::Tampered)));
    }
}
