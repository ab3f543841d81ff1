//! The sensor's TLS identity: a self-signed certificate made at start, as appliances ship with
//! (the page's examples use `curl -k`).

use std::net::IpAddr;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use super::error::SensorError;

/// A TLS acceptor with the certificate it presents.
pub struct Identity {
    /// Accepts TLS connections with the certificate.
    pub acceptor: TlsAcceptor,
    /// The certificate, PEM-encoded, for clients to trust.
    pub certificate_pem: String,
}

/// A fresh self-signed identity for the loopback names and the address listened on.
pub fn self_signed(listen: IpAddr) -> Result<Identity, SensorError> {
    // Another part of the process may have installed the provider already; that is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certified = rcgen::generate_simple_self_signed(subject_names(listen))?;
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    let chain = vec![certified.cert.der().clone()];
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, PrivateKeyDer::Pkcs8(key))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Identity {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        certificate_pem: certified.cert.pem(),
    })
}

fn subject_names(listen: IpAddr) -> Vec<String> {
    let mut names: Vec<String> = ["127.0.0.1", "::1", "localhost"].map(String::from).into();
    let own = listen.to_string();
    if !listen.is_unspecified() && !names.contains(&own) {
        names.push(own);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn names_cover_loopback_and_the_listening_address() {
        let loopback = subject_names(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(loopback, ["127.0.0.1", "::1", "localhost"]);
        let other = subject_names(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(other.last().map(String::as_str), Some("127.0.0.2"));
        assert_eq!(subject_names(IpAddr::V4(Ipv4Addr::UNSPECIFIED)).len(), 3);
    }

    #[test]
    fn the_certificate_is_pem() {
        let identity = self_signed(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        assert!(
            identity
                .certificate_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
    }
}
