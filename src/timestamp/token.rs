//! RFC 3161 time-stamp tokens: the request linkvault sends to a Time-Stamp Authority, and the
//! full check of what comes back (status, CMS signature over the signed attributes, the signer
//! certificate the token names, the imprint, the nonce, the time, the certificate chain as far
//! as the token gives it or up to a trusted CA).
//!
//! ASN.1 is RustCrypto's (`x509-tsp`, `cms`, `x509-cert`, `der` 0.7); signatures and the chain
//! are checked with `ring` and `rustls-webpki`. Two gaps of the `der` 0.7 parsers are bridged
//! here: `genTime` may carry fractional seconds ([`GenTime`]), and OpenSSL may list a certificate
//! twice in a token, which `der`'s `SET OF` refuses, so `SignedData` is walked field by field.

use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier, SignerInfo};
use const_oid::db::{rfc5280, rfc5911, rfc5912};
use der::asn1::{AnyRef, GeneralizedTime, Int, OctetString};
use der::oid::ObjectIdentifier;
use der::{
    Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader, Sequence,
    SliceReader, Tag, TagNumber, Tagged, Writer,
};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::{GeneralName, GeneralNames};
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectKeyIdentifier};
use x509_cert::ext::Extensions;
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

use crate::clock::{self, Timestamp};
use crate::store::hex_digest as hex;

/// id-ct-TSTInfo (RFC 3161 §2.4.2), the content type of a time-stamp token.
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-kp-timeStamping as the DER value bytes webpki compares.
const TIME_STAMPING_EKU: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 3, 8];

/// The hash a timestamp request's imprint is made with (`[timestamp] hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlg {
    /// SHA-256 (the default).
    #[default]
    Sha256,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// The name in config and proofs: `sha256`, `sha512`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha512 => "sha512",
        }
    }

    /// Reads a name as [`HashAlg::name`] writes it.
    pub fn parse(name: &str) -> Option<HashAlg> {
        match name.trim().to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Some(HashAlg::Sha256),
            "sha512" | "sha-512" => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            HashAlg::Sha256 => rfc5912::ID_SHA_256,
            HashAlg::Sha512 => rfc5912::ID_SHA_512,
        }
    }

    fn from_oid(oid: ObjectIdentifier) -> Option<HashAlg> {
        match oid {
            rfc5912::ID_SHA_256 => Some(HashAlg::Sha256),
            rfc5912::ID_SHA_512 => Some(HashAlg::Sha512),
            _ => None,
        }
    }
}

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The bytes are not a time-stamp response or token as RFC 3161 defines it.
    #[error("not a valid RFC 3161 time-stamp response: {0}")]
    Malformed(String),
    /// The authority answered, but refused to timestamp.
    #[error("the timestamp authority refused: {0}")]
    Refused(String),
    /// The token is well-formed but does not prove what it must.
    #[error("the timestamp token does not verify: {0}")]
    Invalid(String),
}

fn malformed(what: &str) -> impl Fn(der::Error) -> TokenError + '_ {
    move |e| TokenError::Malformed(format!("{what}: {e}"))
}

fn invalid(what: impl Into<String>) -> TokenError {
    TokenError::Invalid(what.into())
}

/// A timestamp request ready to send, and what its answer must match.
#[derive(Debug, Clone)]
pub struct Request {
    /// The DER `TimeStampReq` to POST as `application/timestamp-query`.
    pub der: Vec<u8>,
    /// The hash of the timestamped message.
    pub imprint: Vec<u8>,
    /// The hash the imprint was made with.
    pub alg: HashAlg,
    /// The nonce sent: the answer must carry it back.
    pub nonce: u64,
}

/// Builds a request for a timestamp over `message` (hashed with `alg`), asking for the
/// authority's certificate in the token.
pub fn request(alg: HashAlg, message: &[u8], nonce: u64) -> Result<Request, TokenError> {
    let imprint = alg.digest(message);
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: alg.oid(),
                parameters: Some(der::Any::null()),
            },
            hashed_message: OctetString::new(imprint.clone()).map_err(malformed("imprint"))?,
        },
        req_policy: None,
        nonce: Some(positive_int(nonce).map_err(malformed("nonce"))?),
        cert_req: true,
        extensions: None,
    };
    Ok(Request {
        der: req.to_der().map_err(malformed("request"))?,
        imprint,
        alg,
        nonce,
    })
}

/// A positive INTEGER: minimal big-endian bytes, with a leading zero when the top bit is set.
fn positive_int(n: u64) -> der::Result<Int> {
    let bytes = n.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    let mut v = bytes[first..].to_vec();
    if v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    Int::new(&v)
}

/// The integer's magnitude without leading zero bytes (for comparing nonces).
fn magnitude(i: &Int) -> &[u8] {
    let b = i.as_bytes();
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[first..]
}

/// What a token must show to be accepted.
#[derive(Debug, Clone, Default)]
pub struct Expect<'a> {
    /// The statement's hash the token must carry, with the hash it was made with.
    pub imprint: Option<(HashAlg, &'a [u8])>,
    /// The nonce sent with the request (when checking an answer just received).
    pub nonce: Option<u64>,
    /// `genTime` must fall within these wall-clock bounds (request sent, answer received),
    /// widened by [`CLOCK_SKEW`] and the token's stated accuracy.
    pub window: Option<(Timestamp, Timestamp)>,
    /// Trusted CA certificates (DER): when given, the chain must lead to one of them; when
    /// empty, the chain is checked as far as the token gives it.
    pub anchors: &'a [Vec<u8>],
}

/// How far apart linkvault's clock and an authority's may be before a fresh token is refused.
pub const CLOCK_SKEW: i64 = 300;

/// Where the signer's certificate chain was followed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// A CA certificate the caller trusts (`--ca`).
    Trusted(String),
    /// A self-signed root the token itself carries: the chain is sound, but whether to trust
    /// that root is the reader's call (compare its fingerprint with the authority's).
    Root {
        /// The root's subject.
        subject: String,
        /// SHA-256 of the root certificate's DER, hex.
        sha256: String,
    },
    /// The token stops before a root: checked up to a certificate issued by this name.
    Issuer(String),
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Anchor::Trusted(s) => write!(f, "chain ends at the trusted CA {s}"),
            Anchor::Root { subject, sha256 } => write!(
                f,
                "chain ends at the root {subject} carried in the token (SHA-256 {sha256}); pass --ca with the authority's published CA certificate to pin it"
            ),
            Anchor::Issuer(s) => write!(
                f,
                "chain given up to a certificate issued by {s}; pass --ca with that CA's certificate to check the rest"
            ),
        }
    }
}

/// A token that passed every check, and what it says.
#[derive(Debug, Clone)]
pub struct Verified {
    /// `genTime`, whole seconds.
    pub gen_time: Timestamp,
    /// `genTime` as the token writes it (fractions kept), in RFC 3339.
    pub gen_time_text: String,
    /// The signing certificate's subject (its common name when it has one).
    pub signer: String,
    /// The signing certificate's full subject.
    pub signer_subject: String,
    /// The token's serial number, hex.
    pub serial: String,
    /// The TSA policy the token was issued under.
    pub policy: String,
    /// The hash of the imprint.
    pub alg: HashAlg,
    /// The imprint the token covers.
    pub imprint: Vec<u8>,
    /// Where the chain was checked to.
    pub anchor: Anchor,
    /// Every certificate the token carries (DER, duplicates removed), signer first.
    pub certificates: Vec<Vec<u8>>,
}

/// genTime with optional fractional seconds (RFC 3161 §2.4.2 allows them; `der` 0.7's
/// `GeneralizedTime` does not).
#[derive(Clone, Debug, Eq, PartialEq)]
struct GenTime {
    secs: GeneralizedTime,
    raw: Vec<u8>,
}

impl FixedTag for GenTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for GenTime {
    fn decode_value<R: Reader<'a>>(r: &mut R, h: Header) -> der::Result<Self> {
        let raw = r.read_vec(h.length)?;
        let bad = || {
            der::Error::from(der::ErrorKind::Value {
                tag: Tag::GeneralizedTime,
            })
        };
        // YYYYMMDDHHMMSS[.f{1,9}]Z; DER: '.' only, no trailing zeros in the fraction.
        if raw.len() < 15 || raw.last() != Some(&b'Z') {
            return Err(bad());
        }
        let frac = &raw[14..raw.len() - 1];
        if !frac.is_empty() {
            let digits = frac.strip_prefix(b".").ok_or_else(bad)?;
            if digits.is_empty()
                || digits.len() > 9
                || digits.ends_with(b"0")
                || !digits.iter().all(u8::is_ascii_digit)
            {
                return Err(bad());
            }
        }
        let mut whole = vec![0x18, 15];
        whole.extend_from_slice(&raw[..14]);
        whole.push(b'Z');
        let secs = GeneralizedTime::from_der(&whole)?;
        Ok(GenTime { secs, raw })
    }
}

impl EncodeValue for GenTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.raw.len())
    }
    fn encode_value(&self, w: &mut impl Writer) -> der::Result<()> {
        w.write(&self.raw)
    }
}

/// `x509_tsp::TstInfo` with a `genTime` that may carry fractions.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TstInfo {
    version: TspVersion,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Int,
    gen_time: GenTime,
    #[asn1(optional = "true")]
    accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Extensions>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct IssuerSerial {
    issuer: GeneralNames,
    serial_number: SerialNumber,
}

/// ESSCertIDv2 (RFC 5035); a missing hash algorithm means SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<der::Any>,
}

/// ESSCertID (RFC 2634): a SHA-1 hash of the signer's certificate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<der::Any>,
}

/// The token (a CMS `ContentInfo`) inside a response, after checking the response's status.
pub fn token_of(response: &[u8]) -> Result<Vec<u8>, TokenError> {
    let resp = TimeStampResp::from_der(response).map_err(malformed("TimeStampResp"))?;
    use cmpv2::status::PkiStatus;
    if !matches!(
        resp.status.status,
        PkiStatus::Accepted | PkiStatus::GrantedWithMods
    ) {
        let text = resp
            .status
            .status_string
            .as_ref()
            .map(|t| {
                t.iter()
                    .map(|s| s.as_str().to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|t| !t.is_empty());
        let fail = resp.status.fail_info.as_ref().map(|f| format!("{f:?}"));
        return Err(TokenError::Refused(format!(
            "status {:?}{}{}",
            resp.status.status,
            text.map(|t| format!(": {t}")).unwrap_or_default(),
            fail.map(|f| format!(" ({f})")).unwrap_or_default()
        )));
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| TokenError::Malformed("granted, but no token in the response".into()))?;
    token.to_der().map_err(malformed("token"))
}

/// The parts of a `SignedData` token, walked field by field.
struct Parts {
    econtent: Vec<u8>,
    econtent_type: ObjectIdentifier,
    certs: Vec<Vec<u8>>,
    signer_info: SignerInfo,
    /// The signed attributes exactly as signed: `[0]` re-tagged as `SET`.
    signed_attrs: Vec<u8>,
}

fn walk(token: &[u8]) -> Result<Parts, TokenError> {
    let ci: Vec<AnyRef<'_>> = Vec::from_der(token).map_err(malformed("ContentInfo"))?;
    let [content_type, content] = ci.as_slice() else {
        return Err(TokenError::Malformed(
            "ContentInfo has not two fields".into(),
        ));
    };
    let content_type: ObjectIdentifier = content_type
        .decode_as()
        .map_err(malformed("content type"))?;
    if content_type != rfc5911::ID_SIGNED_DATA {
        return Err(TokenError::Malformed(format!(
            "token is {content_type}, not CMS SignedData"
        )));
    }
    let sd: Vec<AnyRef<'_>> = Vec::from_der(content.value()).map_err(malformed("SignedData"))?;
    let mut encap = None;
    let mut certs: Vec<Vec<u8>> = Vec::new();
    for field in &sd {
        match field.tag() {
            Tag::Sequence if encap.is_none() => {
                let der = field.to_der().map_err(malformed("encapContentInfo"))?;
                encap = Some(
                    EncapsulatedContentInfo::from_der(&der)
                        .map_err(malformed("encapContentInfo"))?,
                );
            }
            Tag::ContextSpecific {
                number: TagNumber::N0,
                constructed: true,
            } => {
                let mut r = SliceReader::new(field.value()).map_err(malformed("certificates"))?;
                while !r.is_finished() {
                    let tlv: AnyRef<'_> = r.decode().map_err(malformed("certificate"))?;
                    let der = tlv.to_der().map_err(malformed("certificate"))?;
                    if tlv.tag() == Tag::Sequence && !certs.contains(&der) {
                        certs.push(der);
                    }
                }
            }
            _ => {}
        }
    }
    let encap = encap.ok_or_else(|| TokenError::Malformed("no encapContentInfo".into()))?;
    let signer_infos = sd
        .last()
        .filter(|f| f.tag() == Tag::Set)
        .ok_or_else(|| TokenError::Malformed("no signerInfos".into()))?;
    let mut r = SliceReader::new(signer_infos.value()).map_err(malformed("signerInfos"))?;
    let mut infos = Vec::new();
    while !r.is_finished() {
        let tlv: AnyRef<'_> = r.decode().map_err(malformed("SignerInfo"))?;
        infos.push(tlv.to_der().map_err(malformed("SignerInfo"))?);
    }
    let [info] = infos.as_slice() else {
        return Err(invalid(format!(
            "a token has exactly one signer; this one has {}",
            infos.len()
        )));
    };
    let signer_info = SignerInfo::from_der(info).map_err(malformed("SignerInfo"))?;
    let fields: Vec<AnyRef<'_>> = Vec::from_der(info).map_err(malformed("SignerInfo"))?;
    let attrs = fields
        .iter()
        .find(|f| {
            f.tag()
                == Tag::ContextSpecific {
                    number: TagNumber::N0,
                    constructed: true,
                }
        })
        .ok_or_else(|| invalid("the signer has no signed attributes"))?;
    let signed_attrs = AnyRef::new(Tag::Set, attrs.value())
        .and_then(|a| a.to_der())
        .map_err(malformed("signed attributes"))?;
    let econtent: OctetString = encap
        .econtent
        .as_ref()
        .ok_or_else(|| TokenError::Malformed("no TSTInfo in the token".into()))?
        .decode_as()
        .map_err(malformed("eContent"))?;
    Ok(Parts {
        econtent: econtent.as_bytes().to_vec(),
        econtent_type: encap.econtent_type,
        certs,
        signer_info,
        signed_attrs,
    })
}

fn digest_oid(oid: ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, TokenError> {
    use sha2::Digest as _;
    if let Some(alg) = HashAlg::from_oid(oid) {
        return Ok(alg.digest(data));
    }
    Ok(match oid {
        rfc5912::ID_SHA_384 => sha2::Sha384::digest(data).to_vec(),
        rfc5912::ID_SHA_1 => ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
            .as_ref()
            .to_vec(),
        o => return Err(invalid(format!("unsupported digest algorithm {o}"))),
    })
}

/// The one value of the signed attribute `oid`.
fn attr(si: &SignerInfo, oid: ObjectIdentifier) -> Result<Option<&der::Any>, TokenError> {
    let Some(attrs) = si.signed_attrs.as_ref() else {
        return Ok(None);
    };
    let found: Vec<_> = attrs.iter().filter(|a| a.oid == oid).collect();
    match found.as_slice() {
        [] => Ok(None),
        [a] if a.values.len() == 1 => Ok(a.values.get(0)),
        _ => Err(invalid(format!(
            "signed attribute {oid} must appear once, with one value"
        ))),
    }
}

fn verify_signature(
    cert: &Certificate,
    digest: ObjectIdentifier,
    sig_alg: &AlgorithmIdentifierOwned,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), TokenError> {
    use ring::signature as s;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let alg: &dyn s::VerificationAlgorithm = match (spki.algorithm.oid, sig_alg.oid, digest) {
        (rfc5912::RSA_ENCRYPTION | rfc5912::ID_RSASSA_PSS, rfc5912::ID_RSASSA_PSS, d) => match d {
            rfc5912::ID_SHA_256 => &s::RSA_PSS_2048_8192_SHA256,
            rfc5912::ID_SHA_384 => &s::RSA_PSS_2048_8192_SHA384,
            rfc5912::ID_SHA_512 => &s::RSA_PSS_2048_8192_SHA512,
            d => return Err(invalid(format!("RSA-PSS with digest {d} is not supported"))),
        },
        (rfc5912::RSA_ENCRYPTION, _, rfc5912::ID_SHA_256) => &s::RSA_PKCS1_2048_8192_SHA256,
        (rfc5912::RSA_ENCRYPTION, _, rfc5912::ID_SHA_384) => &s::RSA_PKCS1_2048_8192_SHA384,
        (rfc5912::RSA_ENCRYPTION, _, rfc5912::ID_SHA_512) => &s::RSA_PKCS1_2048_8192_SHA512,
        (rfc5912::ID_EC_PUBLIC_KEY, _, d) => {
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .ok_or_else(|| invalid("EC key without a named curve"))?
                .decode_as()
                .map_err(malformed("EC curve"))?;
            match (curve, d) {
                (rfc5912::SECP_256_R_1, rfc5912::ID_SHA_256) => &s::ECDSA_P256_SHA256_ASN1,
                (rfc5912::SECP_256_R_1, rfc5912::ID_SHA_384) => &s::ECDSA_P256_SHA384_ASN1,
                (rfc5912::SECP_384_R_1, rfc5912::ID_SHA_256) => &s::ECDSA_P384_SHA256_ASN1,
                (rfc5912::SECP_384_R_1, rfc5912::ID_SHA_384) => &s::ECDSA_P384_SHA384_ASN1,
                (c, d) => {
                    return Err(invalid(format!(
                        "ECDSA on curve {c} with digest {d} is not supported"
                    )))
                }
            }
        }
        (k, a, d) => {
            return Err(invalid(format!(
                "signature with key {k}, algorithm {a}, digest {d} is not supported"
            )))
        }
    };
    s::UnparsedPublicKey::new(alg, spki.subject_public_key.raw_bytes())
        .verify(msg, sig)
        .map_err(|_| invalid("the signature does not match the signed attributes"))
}

/// The certificate the signer identifier names.
fn find_signer<'c>(
    certs: &'c [(Vec<u8>, Certificate)],
    sid: &SignerIdentifier,
) -> Option<&'c (Vec<u8>, Certificate)> {
    certs.iter().find(|(_, c)| match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            c.tbs_certificate.issuer == ias.issuer
                && c.tbs_certificate.serial_number == ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            matches!(c.tbs_certificate.get::<SubjectKeyIdentifier>(), Ok(Some((_, k))) if k == *ski)
        }
    })
}

/// The subject's common name, or the whole subject when it has none.
fn common_name(cert: &Certificate) -> String {
    let subject = &cert.tbs_certificate.subject;
    for rdn in subject.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid == const_oid::db::rfc4519::CN {
                if let Ok(s) = atv.value.decode_as::<der::asn1::Utf8StringRef<'_>>() {
                    return s.as_str().to_string();
                }
                if let Ok(s) = atv.value.decode_as::<der::asn1::PrintableStringRef<'_>>() {
                    return s.as_str().to_string();
                }
            }
        }
    }
    subject.to_string()
}

/// Checks a response (`.tsr`) as received from an authority.
pub fn verify_response(response: &[u8], expect: &Expect<'_>) -> Result<Verified, TokenError> {
    verify_token(&token_of(response)?, expect)
}

/// Checks a token (CMS `ContentInfo` holding `TSTInfo`): every step of RFC 3161 §2.4.2 and
/// RFC 5816, and the expectations given.
pub fn verify_token(token: &[u8], expect: &Expect<'_>) -> Result<Verified, TokenError> {
    let parts = walk(token)?;
    if parts.econtent_type != ID_CT_TST_INFO {
        return Err(invalid(format!(
            "the token's content is {}, not TSTInfo",
            parts.econtent_type
        )));
    }
    let tst = TstInfo::from_der(&parts.econtent).map_err(malformed("TSTInfo"))?;
    let certs: Vec<(Vec<u8>, Certificate)> = parts
        .certs
        .iter()
        .map(|der| {
            Ok((
                der.clone(),
                Certificate::from_der(der).map_err(malformed("certificate"))?,
            ))
        })
        .collect::<Result<_, TokenError>>()?;
    let si = &parts.signer_info;
    let (signer_der, signer) = find_signer(&certs, &si.sid).ok_or_else(|| {
        invalid(
            "the token does not carry its signer's certificate (ask the authority with certReq)",
        )
    })?;

    // Signed attributes: content type and the digest of the TSTInfo.
    let content_type: ObjectIdentifier = attr(si, rfc5911::ID_CONTENT_TYPE)?
        .ok_or_else(|| invalid("no content-type attribute"))?
        .decode_as()
        .map_err(malformed("content-type attribute"))?;
    if content_type != ID_CT_TST_INFO {
        return Err(invalid("the signed content-type is not TSTInfo"));
    }
    let md: OctetString = attr(si, rfc5911::ID_MESSAGE_DIGEST)?
        .ok_or_else(|| invalid("no message-digest attribute"))?
        .decode_as()
        .map_err(malformed("message-digest attribute"))?;
    if md.as_bytes() != digest_oid(si.digest_alg.oid, &parts.econtent)? {
        return Err(invalid(
            "the TSTInfo does not match the signed digest (the token was altered)",
        ));
    }
    verify_signature(
        signer,
        si.digest_alg.oid,
        &si.signature_algorithm,
        &parts.signed_attrs,
        si.signature.as_bytes(),
    )?;

    // ESS: the signed attributes name the signer's certificate by hash.
    if let Some(v2) = attr(si, rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2)? {
        let sc: SigningCertificateV2 = v2.decode_as().map_err(malformed("SigningCertificateV2"))?;
        let id = sc
            .certs
            .first()
            .ok_or_else(|| invalid("SigningCertificateV2 names no certificate"))?;
        let alg = id
            .hash_algorithm
            .as_ref()
            .map_or(rfc5912::ID_SHA_256, |a| a.oid);
        if id.cert_hash.as_bytes() != digest_oid(alg, signer_der)? {
            return Err(invalid(
                "the signing-certificate attribute names another certificate",
            ));
        }
        if let Some(is) = &id.issuer_serial {
            if is.serial_number != signer.tbs_certificate.serial_number {
                return Err(invalid(
                    "the signing-certificate attribute names another serial",
                ));
            }
        }
    } else if let Some(v1) = attr(si, rfc5911::ID_AA_SIGNING_CERTIFICATE)? {
        let sc: SigningCertificate = v1.decode_as().map_err(malformed("SigningCertificate"))?;
        let id = sc
            .certs
            .first()
            .ok_or_else(|| invalid("SigningCertificate names no certificate"))?;
        if id.cert_hash.as_bytes() != digest_oid(rfc5912::ID_SHA_1, signer_der)? {
            return Err(invalid(
                "the signing-certificate attribute names another certificate",
            ));
        }
    } else {
        return Err(invalid(
            "no signing-certificate attribute (RFC 3161 §2.4.1)",
        ));
    }

    // TSTInfo: imprint, nonce, time.
    let alg = HashAlg::from_oid(tst.message_imprint.hash_algorithm.oid).ok_or_else(|| {
        invalid(format!(
            "imprint made with {}, not sha256 or sha512",
            tst.message_imprint.hash_algorithm.oid
        ))
    })?;
    let imprint = tst.message_imprint.hashed_message.as_bytes().to_vec();
    if let Some((want_alg, want)) = expect.imprint {
        if alg != want_alg || imprint != want {
            return Err(invalid(format!(
                "the token covers {} {}, not the {} {} asked for",
                alg.name(),
                hex(&imprint),
                want_alg.name(),
                hex(want)
            )));
        }
    }
    if let Some(nonce) = expect.nonce {
        let sent = positive_int(nonce).map_err(malformed("nonce"))?;
        match &tst.nonce {
            Some(n) if magnitude(n) == magnitude(&sent) => {}
            Some(_) => {
                return Err(invalid(
                    "the token's nonce is not the one sent (a replayed answer?)",
                ))
            }
            None => return Err(invalid("the token carries no nonce, one was sent")),
        }
    }
    let gen_time = i64::try_from(tst.gen_time.secs.to_unix_duration().as_secs())
        .map_err(|_| invalid("genTime out of range"))?;
    if let Some((sent, received)) = expect.window {
        let accuracy = tst
            .accuracy
            .as_ref()
            .and_then(|a| a.seconds)
            .and_then(|s| i64::try_from(s).ok())
            .unwrap_or(0)
            + 1;
        let slack = CLOCK_SKEW + accuracy;
        if gen_time < sent - slack || gen_time > received + slack {
            return Err(invalid(format!(
                "genTime {} is outside the request's time ({} to {}, ±{slack} s)",
                clock::format(gen_time),
                clock::format(sent),
                clock::format(received)
            )));
        }
    }

    // The signer is a timestamping certificate (EKU critical, timeStamping only), valid at
    // genTime, and its chain holds.
    let (critical, eku) = signer
        .tbs_certificate
        .get::<ExtendedKeyUsage>()
        .map_err(malformed("extended key usage"))?
        .ok_or_else(|| invalid("the signer's certificate has no extended key usage"))?;
    if !critical || eku.0 != [rfc5280::ID_KP_TIME_STAMPING] {
        return Err(invalid(
            "the signer's certificate is not a timestamping certificate (extended key usage must be critical timeStamping only)",
        ));
    }
    let anchor = check_chain(&certs, signer_der, signer, gen_time, expect.anchors)?;

    let mut ordered = vec![signer_der.clone()];
    ordered.extend(
        certs
            .iter()
            .filter(|(d, _)| d != signer_der)
            .map(|(d, _)| d.clone()),
    );
    Ok(Verified {
        gen_time,
        gen_time_text: gen_time_text(&tst.gen_time.raw).unwrap_or_else(|| clock::format(gen_time)),
        signer: common_name(signer),
        signer_subject: signer.tbs_certificate.subject.to_string(),
        serial: hex(tst.serial_number.as_bytes()),
        policy: tst.policy.to_string(),
        alg,
        imprint,
        anchor,
        certificates: ordered,
    })
}

/// `20261126231501.25Z` → `2026-11-26T23:15:01.25Z`.
fn gen_time_text(raw: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(raw).ok()?;
    Some(format!(
        "{}-{}-{}T{}:{}:{}{}",
        s.get(0..4)?,
        s.get(4..6)?,
        s.get(6..8)?,
        s.get(8..10)?,
        s.get(10..12)?,
        s.get(12..14)?,
        s.get(14..)?
    ))
}

fn check_chain(
    certs: &[(Vec<u8>, Certificate)],
    signer_der: &[u8],
    signer: &Certificate,
    gen_time: Timestamp,
    trusted: &[Vec<u8>],
) -> Result<Anchor, TokenError> {
    use rustls_pki_types::{CertificateDer, UnixTime};
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(gen_time).unwrap_or(0),
    ));
    let ee_der = CertificateDer::from(signer_der);
    let ee = webpki::EndEntityCert::try_from(&ee_der)
        .map_err(|e| invalid(format!("the signer's certificate cannot be read: {e}")))?;

    if !trusted.is_empty() {
        let anchors: Vec<_> = trusted
            .iter()
            .map(|d| {
                webpki::anchor_from_trusted_cert(&CertificateDer::from(d.as_slice()))
                    .map(|a| a.to_owned())
            })
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(format!("a trusted CA certificate cannot be read: {e}")))?;
        let inter: Vec<CertificateDer<'_>> = certs
            .iter()
            .filter(|(d, _)| d != signer_der)
            .map(|(d, _)| CertificateDer::from(d.as_slice()))
            .collect();
        verify_path(&ee, &anchors, &inter, at)?;
        let names: Vec<String> = trusted
            .iter()
            .filter_map(|d| Certificate::from_der(d).ok())
            .map(|c| c.tbs_certificate.subject.to_string())
            .collect();
        return Ok(Anchor::Trusted(names.join(" / ")));
    }

    // Follow issuers through the certificates the token gives.
    let mut chain: Vec<&(Vec<u8>, Certificate)> = Vec::new();
    let mut current = signer;
    loop {
        if current.tbs_certificate.issuer == current.tbs_certificate.subject {
            break;
        }
        let issuer = certs.iter().find(|(d, c)| {
            c.tbs_certificate.subject == current.tbs_certificate.issuer
                && !chain.iter().any(|(seen, _)| seen == d)
                && d.as_slice() != signer_der
        });
        match issuer {
            Some(found) => {
                chain.push(found);
                current = &found.1;
            }
            None => break,
        }
    }
    let Some(((top_der, top), below)) = chain.split_last() else {
        // Only the signer: check its validity at genTime; the rest is the reader's.
        let validity = &signer.tbs_certificate.validity;
        let from = validity.not_before.to_unix_duration().as_secs();
        let to = validity.not_after.to_unix_duration().as_secs();
        let t = u64::try_from(gen_time).unwrap_or(0);
        if t < from || t > to {
            return Err(invalid("the signer's certificate was not valid at genTime"));
        }
        return Ok(Anchor::Issuer(signer.tbs_certificate.issuer.to_string()));
    };
    let top_cert = CertificateDer::from(top_der.as_slice());
    let anchor = webpki::anchor_from_trusted_cert(&top_cert)
        .map_err(|e| invalid(format!("the token's top certificate cannot be read: {e}")))?;
    let inter: Vec<CertificateDer<'_>> = below
        .iter()
        .map(|(d, _)| CertificateDer::from(d.as_slice()))
        .collect();
    verify_path(&ee, &[anchor], &inter, at)?;
    if top.tbs_certificate.issuer == top.tbs_certificate.subject {
        use sha2::Digest as _;
        Ok(Anchor::Root {
            subject: top.tbs_certificate.subject.to_string(),
            sha256: hex(&sha2::Sha256::digest(top_der)),
        })
    } else {
        Ok(Anchor::Issuer(top.tbs_certificate.issuer.to_string()))
    }
}

/// The signer's certificate chains to one of `anchors` through `intermediates`, every
/// certificate valid at `at`, the signer's usage timeStamping.
fn verify_path(
    ee: &webpki::EndEntityCert<'_>,
    anchors: &[rustls_pki_types::TrustAnchor<'_>],
    intermediates: &[rustls_pki_types::CertificateDer<'_>],
    at: rustls_pki_types::UnixTime,
) -> Result<(), TokenError> {
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        intermediates,
        at,
        webpki::KeyUsage::required(TIME_STAMPING_EKU),
        None,
        None,
    )
    .map(|_| ())
    .map_err(|e| {
        use webpki::Error as E;
        let why = match e {
            E::UnknownIssuer => {
                "no chain leads from the signer's certificate to the CA given".to_string()
            }
            E::CertExpired { .. } | E::CertNotValidYet { .. } => {
                "a certificate in the chain was not valid at genTime".to_string()
            }
            E::RequiredEkuNotFoundContext(_) => {
                "a certificate in the chain does not allow timestamping (extended key usage)"
                    .to_string()
            }
            E::InvalidSignatureForPublicKey => {
                "a certificate's signature does not match its issuer's key".to_string()
            }
            other => format!("{other:?}"),
        };
        invalid(format!(
            "the signer's certificate chain does not hold at genTime: {why}"
        ))
    })
}

/// PEM text of DER certificates, for `openssl ts -verify -untrusted`.
pub fn pem_certificates(certs: &[Vec<u8>]) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    for der in certs {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

/// DER certificates out of PEM text (`--ca FILE`); none found is an error.
pub fn read_pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, TokenError> {
    use base64::Engine as _;
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            body = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            let b64 = body.take().unwrap_or_default();
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| TokenError::Malformed(format!("PEM certificate: {e}")))?;
            Certificate::from_der(&der).map_err(malformed("PEM certificate"))?;
            out.push(der);
        } else if let Some(b) = body.as_mut() {
            b.push_str(line);
        }
    }
    if out.is_empty() {
        return Err(TokenError::Malformed(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) found".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_positive_minimal_integers() {
        assert_eq!(positive_int(0).unwrap().as_bytes(), [0]);
        assert_eq!(positive_int(0x7f).unwrap().as_bytes(), [0x7f]);
        assert_eq!(positive_int(0x80).unwrap().as_bytes(), [0, 0x80]);
        assert_eq!(
            magnitude(&positive_int(u64::MAX).unwrap()),
            u64::MAX.to_be_bytes()
        );
    }

    #[test]
    fn gen_time_keeps_fractions() {
        let der = [&[0x18, 18][..], b"20261126231501.25Z"].concat();
        let t = GenTime::from_der(&der).unwrap();
        assert_eq!(gen_time_text(&t.raw).unwrap(), "2026-11-26T23:15:01.25Z");
        assert_eq!(
            clock::format(t.secs.to_unix_duration().as_secs() as i64),
            "2026-11-26T23:15:01Z"
        );
        assert_eq!(t.to_der().unwrap(), der, "encoded back as received");
        for bad in [
            &b"20261126231501.Z"[..],
            b"20261126231501.50Z",
            b"20261126231501",
            b"2026112623150Z",
        ] {
            let der = [&[0x18, bad.len() as u8][..], bad].concat();
            assert!(
                GenTime::from_der(&der).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn requests_carry_imprint_nonce_and_cert_req() {
        let r = request(HashAlg::Sha512, b"statement", 0xF1E2_D3C4_B5A6_9788).unwrap();
        let back = TimeStampReq::from_der(&r.der).unwrap();
        assert_eq!(back.message_imprint.hash_algorithm.oid, rfc5912::ID_SHA_512);
        assert_eq!(
            back.message_imprint.hashed_message.as_bytes(),
            HashAlg::Sha512.digest(b"statement")
        );
        assert!(back.cert_req);
        assert_eq!(
            magnitude(back.nonce.as_ref().unwrap()),
            0xF1E2_D3C4_B5A6_9788u64.to_be_bytes()
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\x30\x00",
            b"\x30\x03\x02\x01\x00",
            b"not der at all",
        ] {
            assert!(matches!(
                verify_response(bytes, &Expect::default()),
                Err(TokenError::Malformed(_))
            ));
        }
    }

    #[test]
    fn pem_round_trip_and_refusal() {
        assert!(read_pem_certificates("hello").is_err());
        assert!(read_pem_certificates(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        )
        .is_err());
    }
}
