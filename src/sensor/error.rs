//! What can go wrong when the reference sensor starts or serves.

use std::io;
use std::net::SocketAddr;

/// A failure of the reference sensor; each message reads after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    /// The listening socket could not be bound.
    #[error("bind the sensor to {address}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// Why binding failed.
        #[source]
        source: io::Error,
    },
    /// The self-signed certificate could not be made.
    #[error("generate the sensor's self-signed certificate")]
    Certificate(#[from] rcgen::Error),
    /// The TLS configuration rejected the certificate.
    #[error("configure TLS with the sensor's certificate")]
    Tls(#[from] rustls::Error),
    /// Any other input or output failure, with what was being done.
    #[error("{doing}")]
    Io {
        /// What the sensor was doing, such as "announce the sensor's URL".
        doing: &'static str,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },
}
