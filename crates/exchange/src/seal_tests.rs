use super::*;
use crate::pki::{KeyAlgorithm, Subject, create_ca, issue, load_identity};

const PASS: &[u8] = b"a passphrase of sixteen+";

fn org(code: &str) -> OrgCode {
    OrgCode::parse(code).unwrap()
}

fn ca(alg: KeyAlgorithm) -> SigningIdentity {
    let ca = create_ca("motcua CA thử", alg, 3650, PASS).unwrap();
    load_identity(&ca.cert_pem, &ca.encrypted_key_pem, PASS).unwrap()
}

fn org_identity(ca: &SigningIdentity, code: &str, alg: KeyAlgorithm, not_after: Option<Timestamp>) -> SigningIdentity {
    let o = org(code);
    let subject = Subject { org: Some(&o), common_name: "UBND phường Hạ Long" };
    let issued = issue(ca, &subject, alg, 365, not_after, PASS).unwrap();
    load_identity(&issued.cert_pem, &issued.encrypted_key_pem, PASS).unwrap()
}

fn claims(issuer: &str) -> PaperClaims {
    PaperClaims {
        number: "H22.37-251205-0001-KQ1".into(),
        kind: PaperKind::Result,
        issuer: org(issuer),
        issued_at: Timestamp::from_second(1_764_900_000).unwrap(),
        sha256: sha256_bytes(&"ab".repeat(32)),
        holder: "Nguyễn T. L.".into(),
        url: "https://dichvucong.quangninh.gov.vn/xac-minh/H22.37-251205-0001-KQ1".into(),
        amount: None,
        due: None,
    }
}

fn anchors(ca: &SigningIdentity) -> TrustAnchors {
    TrustAnchors::new(vec![ca.cert.clone()])
}

#[test]
fn a_seal_opens_with_the_ca_alone_and_says_what_was_sealed() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let ca = ca(alg);
        let signer = org_identity(&ca, "000.00.37.H22", alg, None);
        let c = claims("000.00.37.H22");
        let text = seal(&signer, &c).unwrap();
        assert!(text.starts_with(PREFIX));
        assert!(
            text.chars().all(|ch| ch.is_ascii_digit() || ch.is_ascii_uppercase() || " $%*+-./:".contains(ch)),
            "QR alphanumeric only: {text}"
        );
        let opened = open(&text, &anchors(&ca), Timestamp::now()).unwrap();
        assert_eq!(opened.claims, c);
        assert_eq!(opened.signer.org, Some(org("000.00.37.H22")));
    }
}

#[test]
fn an_ecdsa_seal_fits_a_qr_code_read_from_paper() {
    let ca = ca(KeyAlgorithm::EcdsaP256);
    let signer = org_identity(&ca, "000.00.37.H22", KeyAlgorithm::EcdsaP256, None);
    let text = seal(&signer, &claims("000.00.37.H22")).unwrap();
    // Version 25 at level M holds 1,370 alphanumeric characters: about 117 modules, 0.35 mm
    // each in a 4 cm square, which phone cameras read from A4.
    assert!(text.len() < 1_370, "{} characters", text.len());
}

#[test]
fn a_changed_byte_another_key_an_expired_certificate_or_another_ca_is_refused() {
    let ca1 = ca(KeyAlgorithm::EcdsaP256);
    let signer = org_identity(&ca1, "000.00.37.H22", KeyAlgorithm::EcdsaP256, None);
    let text = seal(&signer, &claims("000.00.37.H22")).unwrap();
    let now = Timestamp::now();

    // Every single changed byte of the message is refused.
    let bytes = base45::decode(&text[PREFIX.len()..]).unwrap();
    for i in 0..bytes.len() {
        let mut changed = bytes.clone();
        changed[i] ^= 0x01;
        let t = format!("{PREFIX}{}", base45::encode(&changed));
        assert!(open(&t, &anchors(&ca1), now).is_err(), "byte {i} changed");
    }

    // Another organisation's key, claiming this one.
    let other = org_identity(&ca1, "000.00.22.H22", KeyAlgorithm::EcdsaP256, None);
    let forged = seal(&other, &claims("000.00.37.H22")).unwrap();
    assert!(matches!(open(&forged, &anchors(&ca1), now), Err(SealError::WrongIssuer { .. })));

    // The CA's own key is not an organisation's.
    let by_ca = seal(&ca1, &claims("000.00.37.H22")).unwrap();
    assert!(open(&by_ca, &anchors(&ca1), now).is_err());

    // An expired certificate.
    let old =
        org_identity(&ca1, "000.00.37.H22", KeyAlgorithm::EcdsaP256, Some(now - jiff::SignedDuration::from_hours(48)));
    let stale = seal(&old, &claims("000.00.37.H22")).unwrap();
    assert!(matches!(open(&stale, &anchors(&ca1), now), Err(SealError::Expired(_))));

    // Another deployment's CA.
    let ca2 = ca(KeyAlgorithm::EcdsaP256);
    let stranger = org_identity(&ca2, "000.00.37.H22", KeyAlgorithm::EcdsaP256, None);
    let foreign = seal(&stranger, &claims("000.00.37.H22")).unwrap();
    assert!(matches!(open(&foreign, &anchors(&ca1), now), Err(SealError::Untrusted(_))));

    // Not a seal at all.
    assert_eq!(open("https://example.org/xac-minh/1", &anchors(&ca1), now).unwrap_err(), SealError::NotASeal);
    assert!(matches!(open("MC1:!!", &anchors(&ca1), now), Err(SealError::Malformed(_))));
}

#[test]
fn hashes_read_from_hex() {
    assert_eq!(sha256_bytes(&"0f".repeat(32)), Some([0x0f; 32]));
    assert_eq!(sha256_bytes("0f"), None);
    assert_eq!(sha256_bytes(&"zz".repeat(32)), None);
}
