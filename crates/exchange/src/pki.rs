//! The deployment's keys and certificates: a certificate authority made by `motcua pki
//! init`, organisations' signing certificates issued by it, and certificates with keys
//! brought from an outside CA (PEM or PKCS#12).
//!
//! Private keys leave this module only as encrypted PKCS#8 (AES-256-CBC under the
//! deployment's key passphrase): that is what the database stores.

use jiff::Timestamp;
use motcua_domain::OrgCode;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::symm::Cipher;
use openssl::x509::extension::{AuthorityKeyIdentifier, BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509NameBuilder, X509Ref};

use crate::ExchangeError;

/// Signature algorithm of a new key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlgorithm {
    /// ECDSA on P-256 with SHA-256: small and fast, the default.
    #[default]
    EcdsaP256,
    /// RSA-2048 with SHA-256, for partners that accept only RSA.
    Rsa2048,
}

impl KeyAlgorithm {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ec" | "ecdsa" | "p256" | "ecdsa-p256" => Some(Self::EcdsaP256),
            "rsa" | "rsa2048" | "rsa-2048" => Some(Self::Rsa2048),
            _ => None,
        }
    }

    fn generate(self) -> Result<PKey<Private>, ExchangeError> {
        Ok(match self {
            Self::EcdsaP256 => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
                PKey::from_ec_key(EcKey::generate(&group)?)?
            }
            Self::Rsa2048 => PKey::from_rsa(Rsa::generate(2048)?)?,
        })
    }
}

/// A certificate with its (decrypted) private key, ready to sign.
pub struct SigningIdentity {
    pub cert: X509,
    pub key: PKey<Private>,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("SigningIdentity").field("subject", &subject_text(&self.cert)).finish_non_exhaustive()
    }
}

/// What is shown and stored about a certificate (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    /// Serial number, hexadecimal.
    pub serial: String,
    /// SHA-256 of the DER encoding, lower-case hexadecimal.
    pub fingerprint: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// The organisation identifier the certificate names (its UID, or a subject value that
    /// is a valid organisation code).
    pub org: Option<OrgCode>,
    pub is_ca: bool,
}

/// A new identity: the certificate (PEM) and its key (encrypted PEM).
#[derive(Debug, Clone)]
pub struct IssuedIdentity {
    pub info: CertificateInfo,
    pub cert_pem: String,
    pub encrypted_key_pem: String,
}

fn random_serial() -> Result<openssl::asn1::Asn1Integer, ExchangeError> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    Ok(bn.to_asn1_integer()?)
}

/// Encrypts a private key for storage.
pub fn encrypt_key(key: &PKey<Private>, passphrase: &[u8]) -> Result<String, ExchangeError> {
    if passphrase.len() < 16 {
        return Err(ExchangeError::Key("mật khẩu bảo vệ khóa phải dài ít nhất 16 ký tự".into()));
    }
    let pem = key.private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), passphrase)?;
    String::from_utf8(pem).map_err(|_| ExchangeError::Key("PEM không phải UTF-8".into()))
}

/// Decrypts a stored key.
pub fn decrypt_key(encrypted_pem: &str, passphrase: &[u8]) -> Result<PKey<Private>, ExchangeError> {
    PKey::private_key_from_pem_passphrase(encrypted_pem.as_bytes(), passphrase)
        .map_err(|_| ExchangeError::Key("không giải mã được khóa bí mật (sai khóa bảo vệ?)".into()))
}

/// A certificate authority for the deployment, valid `days` days.
pub fn create_ca(
    common_name: &str,
    algorithm: KeyAlgorithm,
    days: u32,
    passphrase: &[u8],
) -> Result<IssuedIdentity, ExchangeError> {
    let key = algorithm.generate()?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COUNTRYNAME, "VN")?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "motcua")?;
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)?;
    let name = name.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = random_serial()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(&key)?;
    {
        let t = Asn1Time::from_unix(Timestamp::now().as_second() - 3600)?;
        b.set_not_before(&t)?;
    }
    {
        let t = Asn1Time::days_from_now(days)?;
        b.set_not_after(&t)?;
    }
    b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
    b.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build()?)?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    b.sign(&key, MessageDigest::sha256())?;
    let cert = b.build();
    identity_out(cert, &key, passphrase)
}

/// What a new signing certificate names.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    /// The organisation (its identifier goes in the UID attribute), or None for the
    /// server's own request-signing identity.
    pub org: Option<&'a OrgCode>,
    pub common_name: &'a str,
}

/// A signing certificate issued by the CA. `not_after` overrides `days` (tests use it to
/// make expired certificates).
pub fn issue(
    ca: &SigningIdentity,
    subject: &Subject<'_>,
    algorithm: KeyAlgorithm,
    days: u32,
    not_after: Option<Timestamp>,
    passphrase: &[u8],
) -> Result<IssuedIdentity, ExchangeError> {
    let key = algorithm.generate()?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COUNTRYNAME, "VN")?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "motcua")?;
    if let Some(org) = subject.org {
        name.append_entry_by_nid(Nid::USERID, org.as_str())?;
    }
    name.append_entry_by_nid(Nid::COMMONNAME, subject.common_name)?;
    let name = name.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = random_serial()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(ca.cert.subject_name())?;
    b.set_pubkey(&key)?;
    let now = Timestamp::now().as_second();
    match not_after {
        Some(t) => {
            {
                let t = Asn1Time::from_unix(t.as_second().min(now) - 86_400)?;
                b.set_not_before(&t)?;
            }
            {
                let t = Asn1Time::from_unix(t.as_second())?;
                b.set_not_after(&t)?;
            }
        }
        None => {
            {
                let t = Asn1Time::from_unix(now - 3600)?;
                b.set_not_before(&t)?;
            }
            {
                let t = Asn1Time::days_from_now(days)?;
                b.set_not_after(&t)?;
            }
        }
    }
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(KeyUsage::new().critical().digital_signature().non_repudiation().build()?)?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(Some(&ca.cert), None))?;
    b.append_extension(ski)?;
    let aki =
        AuthorityKeyIdentifier::new().keyid(false).issuer(false).build(&b.x509v3_context(Some(&ca.cert), None))?;
    b.append_extension(aki)?;
    b.sign(&ca.key, MessageDigest::sha256())?;
    identity_out(b.build(), &key, passphrase)
}

fn identity_out(cert: X509, key: &PKey<Private>, passphrase: &[u8]) -> Result<IssuedIdentity, ExchangeError> {
    let info = certificate_info(&cert)?;
    let cert_pem = String::from_utf8(cert.to_pem()?).map_err(|_| ExchangeError::Certificate("PEM".into()))?;
    Ok(IssuedIdentity { info, cert_pem, encrypted_key_pem: encrypt_key(key, passphrase)? })
}

/// Loads a stored identity.
pub fn load_identity(
    cert_pem: &str,
    encrypted_key_pem: &str,
    passphrase: &[u8],
) -> Result<SigningIdentity, ExchangeError> {
    let cert = parse_certificate(cert_pem.as_bytes())?;
    let key = decrypt_key(encrypted_key_pem, passphrase)?;
    Ok(SigningIdentity { cert, key })
}

/// A certificate in PEM or DER.
pub fn parse_certificate(bytes: &[u8]) -> Result<X509, ExchangeError> {
    X509::from_pem(bytes)
        .or_else(|_| X509::from_der(bytes))
        .map_err(|_| ExchangeError::Certificate("không đọc được chứng thư số (cần PEM hoặc DER)".into()))
}

/// Every certificate in a PEM bundle.
pub fn parse_certificates(pem: &[u8]) -> Result<Vec<X509>, ExchangeError> {
    let certs = X509::stack_from_pem(pem)
        .map_err(|_| ExchangeError::Certificate("không đọc được tệp chứng thư số PEM".into()))?;
    if certs.is_empty() {
        return Err(ExchangeError::Certificate("tệp không chứa chứng thư số nào".into()));
    }
    Ok(certs)
}

/// A certificate and key from an outside CA, re-encrypted for storage. The key must belong
/// to the certificate. `key_password` opens an encrypted PEM key.
pub fn import_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    key_password: Option<&[u8]>,
    passphrase: &[u8],
) -> Result<(IssuedIdentity, Vec<X509>), ExchangeError> {
    let mut certs = parse_certificates(cert_pem)?;
    let cert = certs.remove(0);
    let key = match key_password {
        Some(p) => PKey::private_key_from_pem_passphrase(key_pem, p),
        None => PKey::private_key_from_pem(key_pem),
    }
    .map_err(|_| ExchangeError::Key("không đọc được khóa bí mật PEM (sai mật khẩu?)".into()))?;
    check_pair(&cert, &key)?;
    Ok((identity_out(cert, &key, passphrase)?, certs))
}

/// A PKCS#12 file (certificate, key and any chain).
pub fn import_pkcs12(
    der: &[u8],
    password: &str,
    passphrase: &[u8],
) -> Result<(IssuedIdentity, Vec<X509>), ExchangeError> {
    let parsed = Pkcs12::from_der(der)
        .and_then(|p| p.parse2(password))
        .map_err(|_| ExchangeError::Key("không mở được tệp PKCS#12 (sai mật khẩu hoặc tệp hỏng)".into()))?;
    let cert = parsed.cert.ok_or_else(|| ExchangeError::Certificate("tệp PKCS#12 không có chứng thư số".into()))?;
    let key = parsed.pkey.ok_or_else(|| ExchangeError::Key("tệp PKCS#12 không có khóa bí mật".into()))?;
    check_pair(&cert, &key)?;
    let chain = parsed.ca.map(|s| s.into_iter().collect()).unwrap_or_default();
    Ok((identity_out(cert, &key, passphrase)?, chain))
}

fn check_pair(cert: &X509Ref, key: &PKey<Private>) -> Result<(), ExchangeError> {
    let public = cert.public_key()?;
    if !public.public_eq(key) {
        return Err(ExchangeError::Key("khóa bí mật không khớp với chứng thư số".into()));
    }
    Ok(())
}

fn asn1_to_timestamp(t: &openssl::asn1::Asn1TimeRef) -> Result<Timestamp, ExchangeError> {
    let epoch = Asn1Time::from_unix(0)?;
    let diff = epoch.diff(t)?;
    Timestamp::from_second(i64::from(diff.days) * 86_400 + i64::from(diff.secs))
        .map_err(|e| ExchangeError::Certificate(format!("thời hạn chứng thư: {e}")))
}

fn subject_text(cert: &X509Ref) -> String {
    name_text(cert.subject_name())
}

fn name_text(name: &openssl::x509::X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The organisation a certificate names: its UID, else any subject value that parses as an
/// organisation code containing a dot (`000.00.00.H22`), so that certificates from outside
/// CAs that put the code in CN or OU are recognised too.
pub fn certificate_org(cert: &X509Ref) -> Option<OrgCode> {
    let name = cert.subject_name();
    let value = |nid| name.entries_by_nid(nid).next().and_then(|e| e.data().to_string().ok());
    if let Some(uid) = value(Nid::USERID) {
        return OrgCode::parse(&uid).ok();
    }
    name.entries()
        .filter_map(|e| e.data().to_string().ok())
        .find_map(|v| if v.contains('.') { OrgCode::parse(&v).ok() } else { None })
}

pub fn fingerprint(cert: &X509Ref) -> Result<String, ExchangeError> {
    let d = cert.digest(MessageDigest::sha256())?;
    Ok(d.iter().map(|b| format!("{b:02x}")).collect())
}

pub fn certificate_info(cert: &X509Ref) -> Result<CertificateInfo, ExchangeError> {
    let serial = cert.serial_number().to_bn()?.to_hex_str()?.to_string();
    // A CA is what declares itself one and signs certificates.
    let is_ca = cert.subject_name().try_cmp(cert.issuer_name()).is_ok_and(|o| o.is_eq())
        && cert.verify(cert.public_key()?.as_ref()).unwrap_or(false);
    Ok(CertificateInfo {
        subject: subject_text(cert),
        issuer: name_text(cert.issuer_name()),
        serial,
        fingerprint: fingerprint(cert)?,
        not_before: asn1_to_timestamp(cert.not_before())?,
        not_after: asn1_to_timestamp(cert.not_after())?,
        org: certificate_org(cert),
        is_ca,
    })
}

pub fn certificate_pem(cert: &X509Ref) -> Result<String, ExchangeError> {
    String::from_utf8(cert.to_pem()?).map_err(|_| ExchangeError::Certificate("PEM".into()))
}
