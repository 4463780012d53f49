//! The API-server client for a [`KubernetesSdConfig`], chosen as Prometheus chooses it.
//!
//! Entry point: [`client`]. `kubeconfig_file` set → that file (current context); `api_server` set →
//! that URL with the entry's own bearer token / TLS settings (no service-account magic, as in
//! Prometheus); neither → in-cluster service account. rustls with ring; never openssl.

use kube::config::{KubeConfigOptions, Kubeconfig};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::DiscoveryError;
use super::config::{ApiHttp, KubernetesSdConfig};

/// Builds the client. Must run inside a tokio runtime.
pub async fn client(cfg: &KubernetesSdConfig) -> Result<kube::Client, DiscoveryError> {
    kube::Client::try_from(kube_config(cfg).await?).map_err(DiscoveryError::Client)
}

/// The kube-rs config for `cfg` (its `default_namespace` is our "own namespace").
pub async fn kube_config(cfg: &KubernetesSdConfig) -> Result<kube::Config, DiscoveryError> {
    if let Some(path) = &cfg.kubeconfig_file {
        let err = |source| DiscoveryError::Kubeconfig { path: path.display().to_string(), source };
        let file = Kubeconfig::read_from(path).map_err(err)?;
        return kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default()).await.map_err(err);
    }
    match &cfg.api_server {
        Some(url) => api_server_config(url, &cfg.http),
        None => kube::Config::incluster().map_err(DiscoveryError::InCluster),
    }
}

fn api_server_config(url: &str, http: &ApiHttp) -> Result<kube::Config, DiscoveryError> {
    let bad = |message: String| DiscoveryError::ApiServer { url: url.to_string(), message };
    let uri: http::Uri = url.parse().map_err(|e| bad(format!("{e}")))?;
    let mut c = kube::Config::new(uri);
    c.auth_info.token = http.bearer_token.as_ref().map(|t| t.expose().to_string().into());
    c.auth_info.token_file = http.bearer_token_file.clone();
    c.accept_invalid_certs = http.insecure_skip_verify;
    c.tls_server_name = http.server_name.clone();
    if let Some(ca) = &http.ca_file {
        c.root_cert = Some(read_pem_certs(ca)?);
    }
    Ok(c)
}

/// The DER certificates of a PEM file.
fn read_pem_certs(path: &str) -> Result<Vec<Vec<u8>>, DiscoveryError> {
    let err = |source| DiscoveryError::ReadFile { path: path.to_string(), source };
    let pem = std::fs::read(path).map_err(err)?;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&pem).collect();
    let certs = certs.map_err(|e| err(std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())))?;
    Ok(certs.into_iter().map(|c| c.to_vec()).collect())
}
