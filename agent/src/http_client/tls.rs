//! Turns a [`TlsConfig`] into a rustls `ClientConfig` (ring provider).
//!
//! Entry point: [`client_config`]. Roots are the CA given in the config, else the system's trust
//! store (as Go's `crypto/x509` uses it: `SSL_CERT_FILE` / `SSL_CERT_DIR`, else the
//! distribution's bundle), read once per process; `insecure_skip_verify` swaps in a verifier that
//! accepts any certificate chain and name but still checks handshake signatures. PEM is read with
//! `rustls-pki-types`' parser.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::{HttpError, TlsConfig, TlsVersion};

/// Builds the rustls client config for `cfg` (without ALPN; the connector sets it).
pub(super) fn client_config(cfg: &TlsConfig) -> Result<ClientConfig, HttpError> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(cfg)?)
        .map_err(|e| HttpError::Tls(e.to_string()))?;
    let builder = if cfg.insecure_skip_verify {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
    } else {
        builder.with_root_certificates(roots(cfg)?)
    };
    match client_cert(cfg)? {
        Some((certs, key)) => builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| HttpError::Tls(format!("unable to use specified client cert & key: {e}"))),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// rustls speaks TLS 1.2 and 1.3 only: a lower minimum is the same as 1.2, a lower maximum fails.
fn versions(cfg: &TlsConfig) -> Result<&'static [&'static rustls::SupportedProtocolVersion], HttpError> {
    static BOTH: [&rustls::SupportedProtocolVersion; 2] = [&rustls::version::TLS13, &rustls::version::TLS12];
    static ONLY_13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    static ONLY_12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    let min = cfg.min_version.unwrap_or(TlsVersion::Tls12);
    let max = cfg.max_version.unwrap_or(TlsVersion::Tls13);
    match (min >= TlsVersion::Tls13, max) {
        (_, TlsVersion::Tls10 | TlsVersion::Tls11) => {
            Err(HttpError::Tls("max_version below TLS12 is not supported (rustls speaks TLS 1.2 and 1.3)".into()))
        }
        (true, _) => Ok(&ONLY_13),
        (false, TlsVersion::Tls12) => Ok(&ONLY_12),
        (false, _) => Ok(&BOTH),
    }
}

fn roots(cfg: &TlsConfig) -> Result<Arc<RootCertStore>, HttpError> {
    let (pem, source) = match (&cfg.ca, &cfg.ca_file) {
        (Some(ca), _) => (ca.clone().into_bytes(), "inline ca".to_string()),
        (None, Some(file)) => (read(file, "CA cert")?, file.clone()),
        (None, None) => return Ok(system_roots()),
    };
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| HttpError::Tls(format!("unable to read CA cert {source}: {e}")))?;
        store.add(cert).map_err(|e| HttpError::Tls(format!("unable to use CA cert {source}: {e}")))?;
    }
    if store.is_empty() {
        return Err(HttpError::Tls(format!("unable to use specified CA cert {source}: no PEM certificate found")));
    }
    Ok(Arc::new(store))
}

/// The system's trust store, loaded at the first use. Certificates it cannot parse are skipped
/// (as Go skips them); finding none is logged once, and every verified handshake then fails.
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut store = RootCertStore::empty();
            let (added, skipped) = store.add_parsable_certificates(found.certs);
            for e in &found.errors {
                tracing::warn!(error = %e, "reading the system's CA certificates");
            }
            if added == 0 {
                tracing::warn!(
                    "no CA certificates in the system's trust store (SSL_CERT_FILE, SSL_CERT_DIR, \
                     /etc/ssl/certs): TLS to targets without a ca_file will fail"
                );
            }
            tracing::debug!(added, skipped, "loaded the system's CA certificates");
            Arc::new(store)
        })
        .clone()
}

type CertAndKey = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_cert(cfg: &TlsConfig) -> Result<Option<CertAndKey>, HttpError> {
    let cert_pem = match (&cfg.cert, &cfg.cert_file) {
        (Some(c), _) => c.clone().into_bytes(),
        (None, Some(f)) => read(f, "client cert")?,
        (None, None) => return Ok(None),
    };
    let key_pem = match (&cfg.key, &cfg.key_file) {
        (Some(k), _) => k.expose().as_bytes().to_vec(),
        (None, Some(f)) => read(f, "client key")?,
        (None, None) => return Err(HttpError::Tls("client certificate configured without a key".into())),
    };
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| HttpError::Tls(format!("unable to read client cert: {e}")))?;
    // The parser's messages can quote bytes of the text; for a key, name the kind of error only.
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        use rustls::pki_types::pem::Error;
        HttpError::Tls(match e {
            Error::NoItemsFound => "no private key found in client key".into(),
            Error::MissingSectionEnd { .. } => "unable to read client key: a PEM section has no END line".into(),
            Error::Base64Decode(_) => "unable to read client key: invalid base64 in a PEM section".into(),
            _ => "unable to read client key: not valid PEM".into(),
        })
    })?;
    if certs.is_empty() {
        return Err(HttpError::Tls("no PEM certificate found in client cert".into()));
    }
    Ok(Some((certs, key)))
}

fn read(path: &str, what: &str) -> Result<Vec<u8>, HttpError> {
    std::fs::read(path).map_err(|e| HttpError::Tls(format!("unable to read {what} {path}: {e}")))
}

/// `insecure_skip_verify: true`: any chain and any name, as Go's `InsecureSkipVerify`.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
