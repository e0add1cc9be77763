//! The text of a paper's QR code, as a phone or `motcua verify --qr` reads it: never a panic,
//! and nothing opens but what the organisation's key sealed. Two ways in: the fuzzer's bytes
//! as the text itself, or as changes (XOR) to a genuine seal's COSE bytes, re-encoded — the
//! second reaches the signature and chain checks with everything else well formed.
#![no_main]

use std::sync::LazyLock;

use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;
use motcua_domain::OrgCode;
use motcua_exchange::pki::{KeyAlgorithm, Subject, create_ca, issue, load_identity};
use motcua_exchange::seal::{self, PaperClaims, PaperKind};
use motcua_exchange::TrustAnchors;

struct Genuine {
    anchors: TrustAnchors,
    claims: PaperClaims,
    bytes: Vec<u8>,
}

static GENUINE: LazyLock<Genuine> = LazyLock::new(|| {
    let pass = b"a passphrase of sixteen+";
    let ca = create_ca("motcua CA fuzz", KeyAlgorithm::EcdsaP256, 3650, pass).unwrap();
    let ca = load_identity(&ca.cert_pem, &ca.encrypted_key_pem, pass).unwrap();
    let org = OrgCode::parse("000.00.37.H22").unwrap();
    let subject = Subject { org: Some(&org), common_name: "UBND phường Hạ Long" };
    let issued = issue(&ca, &subject, KeyAlgorithm::EcdsaP256, 365, None, pass).unwrap();
    let signer = load_identity(&issued.cert_pem, &issued.encrypted_key_pem, pass).unwrap();
    let claims = PaperClaims {
        number: "H22.37-251205-0001-KQ1".into(),
        kind: PaperKind::Result,
        issuer: org,
        issued_at: Timestamp::from_second(1_764_900_000).unwrap(),
        sha256: seal::sha256_bytes(&"ab".repeat(32)),
        holder: "Nguyễn T. L.".into(),
        url: "https://dichvucong.quangninh.gov.vn/xac-minh/H22.37-251205-0001-KQ1".into(),
        amount: Some(1_200_000),
        due: None,
    };
    let text = seal::seal(&signer, &claims).unwrap();
    let anchors = TrustAnchors::new(vec![ca.cert.clone()]);
    assert_eq!(seal::open(&text, &anchors, Timestamp::now()).unwrap().claims, claims, "the genuine seal opens");
    let bytes = base45::decode(&text[seal::PREFIX.len()..]).unwrap();
    Genuine { anchors, claims, bytes }
});

fuzz_target!(|data: &[u8]| {
    let g = &*GENUINE;
    let now = Timestamp::now();
    let text = match data.split_first() {
        // Changes to the genuine seal's bytes (and bytes added at its end).
        Some((0, changes)) => {
            let mut bytes = g.bytes.clone();
            for (i, c) in changes.iter().enumerate() {
                match bytes.get_mut(i) {
                    Some(b) => *b ^= c,
                    None => bytes.push(*c),
                }
            }
            format!("{}{}", seal::PREFIX, base45::encode(&bytes))
        }
        _ => String::from_utf8_lossy(data).into_owned(),
    };
    if let Ok(opened) = seal::open(&text, &g.anchors, now) {
        assert_eq!(opened.claims, g.claims, "only what the key sealed opens");
    }
});
