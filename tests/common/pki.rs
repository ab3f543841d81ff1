//! Certificates made in the test: a CA, leaves it signs (valid, expired, for another name), and
//! a self-signed leaf, each with the TLS configuration that presents it.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// A certificate authority of this test.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate and its key.
pub struct Leaf {
    pub certificate_pem: String,
    pub key_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl Authority {
    pub fn new() -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sensor-conformance test CA");
        let key = KeyPair::generate().expect("a CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("the CA certificate");
        Authority { issuer }
    }

    /// The CA certificate, PEM, for `--cacert`.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `names`, valid now.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.sign(leaf_params(names))
    }

    /// A leaf for `names` whose validity ended in 2021.
    pub fn expired_leaf(&self, names: &[&str]) -> Leaf {
        let mut params = leaf_params(names);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        self.sign(params)
    }

    /// A client certificate for `name`.
    pub fn client_leaf(&self, name: &str) -> Leaf {
        let mut params = leaf_params(&[name]);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params)
    }

    /// The CA as the only root of a store.
    fn roots(&self) -> Arc<rustls::RootCertStore> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.issuer.der().clone())
            .expect("the CA is a root");
        Arc::new(roots)
    }

    fn sign(&self, params: CertificateParams) -> Leaf {
        let key = KeyPair::generate().expect("a leaf key");
        let certificate = params.signed_by(&key, &self.issuer).expect("a leaf");
        Leaf::new(certificate, key, Some(self.issuer.der().clone()))
    }
}

/// A leaf for `names` that signs itself, as appliances ship with.
pub fn self_signed(names: &[&str]) -> Leaf {
    let key = KeyPair::generate().expect("a key");
    let certificate = leaf_params(names).self_signed(&key).expect("a certificate");
    Leaf::new(certificate, key, None)
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    CertificateParams::new(names).expect("leaf parameters")
}

impl Leaf {
    fn new(
        certificate: rcgen::Certificate,
        key: KeyPair,
        issuer: Option<CertificateDer<'static>>,
    ) -> Leaf {
        let mut chain = vec![certificate.der().clone()];
        chain.extend(issuer);
        Leaf {
            certificate_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
            chain,
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }

    /// A server configuration presenting this leaf, over HTTP/1.1.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = rustls::ServerConfig::builder().with_no_client_auth();
        self.finish(builder)
    }

    /// A server configuration presenting this leaf that admits only clients `authority` signed.
    pub fn config_requiring_clients_of(&self, authority: &Authority) -> Arc<rustls::ServerConfig> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let verifier = rustls::server::WebPkiClientVerifier::builder(authority.roots())
            .build()
            .expect("a client verifier");
        let builder = rustls::ServerConfig::builder().with_client_cert_verifier(verifier);
        self.finish(builder)
    }

    /// A server configuration presenting this leaf that asks clients for a certificate
    /// `authority` signed, and admits them without one too.
    pub fn config_asking_clients_of(&self, authority: &Authority) -> Arc<rustls::ServerConfig> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let verifier = rustls::server::WebPkiClientVerifier::builder(authority.roots())
            .allow_unauthenticated()
            .build()
            .expect("a client verifier");
        let builder = rustls::ServerConfig::builder().with_client_cert_verifier(verifier);
        self.finish(builder)
    }

    fn finish(
        &self,
        builder: rustls::ConfigBuilder<rustls::ServerConfig, rustls::server::WantsServerCert>,
    ) -> Arc<rustls::ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(self.key.clone_key());
        let mut config = builder
            .with_single_cert(self.chain.clone(), key)
            .expect("a TLS configuration");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}
