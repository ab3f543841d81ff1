//! A TLS handshake of the client's own, which sends nothing after it: it notes whether the
//! server asks for a client certificate. With TLS 1.3 a server refuses a missing certificate
//! only after the handshake, when the request may already be on its way, and the HTTP layer
//! then reports a closed connection without the server's reason.

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme, sign};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long the handshake may take before the question is left unanswered.
const PATIENCE: Duration = Duration::from_secs(5);

/// Whether the TLS server of `url` asks for a client certificate; `false` when that cannot be
/// found out (not `https`, unreachable, no handshake in time or before `deadline`).
pub async fn asks_for_client_certificate(
    url: &reqwest::Url,
    deadline: Option<std::time::Instant>,
) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return false;
    };
    if url.scheme() != "https" {
        return false;
    }
    let Ok(name) = ServerName::try_from(host.trim_matches(['[', ']']).to_owned()) else {
        return false;
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let Ok(builder) = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
    else {
        return false;
    };
    let asked = Arc::new(Noted::default());
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_client_cert_resolver(Arc::clone(&asked) as Arc<dyn ResolvesClientCert>);
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((host, port)).await.ok()?;
        connector.connect(name, tcp).await.ok()
    };
    let patience = deadline.map_or(PATIENCE, |d| {
        PATIENCE.min(d.saturating_duration_since(std::time::Instant::now()))
    });
    let _ = tokio::time::timeout(patience, handshake).await;
    asked.0.load(Ordering::Relaxed)
}

/// Offers no certificate, and notes that one was asked for.
#[derive(Debug, Default)]
struct Noted(AtomicBool);

impl ResolvesClientCert for Noted {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<sign::CertifiedKey>> {
        self.0.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// Takes any certificate: nothing is sent over this connection, and the question is only
/// what the server asks for. Signatures are still checked, as the handshake requires.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
