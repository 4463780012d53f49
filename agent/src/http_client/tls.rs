//! Turns a [`TlsConfig`] into a rustls `ClientConfig` (ring provider).
//!
//! Entry point: [`client_config`]. Roots are the CA given in the config, else the webpki roots;
//! `insecure_skip_verify` swaps in a verifier that accepts any certificate chain and name but
//! still checks handshake signatures.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
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

fn roots(cfg: &TlsConfig) -> Result<RootCertStore, HttpError> {
    let (pem, source) = match (&cfg.ca, &cfg.ca_file) {
        (Some(ca), _) => (ca.clone().into_bytes(), "inline ca".to_string()),
        (None, Some(file)) => (read(file, "CA cert")?, file.clone()),
        (None, None) => return Ok(RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }),
    };
    let mut store = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| HttpError::Tls(format!("unable to read CA cert {source}: {e}")))?;
        store.add(cert).map_err(|e| HttpError::Tls(format!("unable to use CA cert {source}: {e}")))?;
    }
    if store.is_empty() {
        return Err(HttpError::Tls(format!("unable to use specified CA cert {source}: no PEM certificate found")));
    }
    Ok(store)
}

type CertAndKey = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_cert(cfg: &TlsConfig) -> Result<Option<CertAndKey>, HttpError> {
    let cert_pem = match (&cfg.cert, &cfg.cert_file) {
        (Some(c), _) => c.clone().into_bytes(),
        (None, Some(f)) => read(f, "client cert")?,
        (None, None) => return Ok(None),
    };
    let key_pem = match (&cfg.key, &cfg.key_file) {
        (Some(k), _) => k.clone().into_bytes(),
        (None, Some(f)) => read(f, "client key")?,
        (None, None) => return Err(HttpError::Tls("client certificate configured without a key".into())),
    };
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| HttpError::Tls(format!("unable to read client cert: {e}")))?;
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| HttpError::Tls(format!("unable to read client key: {e}")))?
        .ok_or_else(|| HttpError::Tls("no private key found in client key".into()))?;
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
