//! A stand-in binary that runs only the reference sensor.

use std::process::ExitCode;

use clap::Parser;
use sensor_conformance::sensor::{ServeArgs, serve};

/// Conformance suite for the alert management REST API of OT network-monitoring sensors.
#[derive(Debug, Parser)]
#[command(version)]
enum Cli {
    /// Run the reference sensor
    Serve(ServeArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let Cli::Serve(args) = Cli::parse();
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: failed to {error}");
            let mut cause = std::error::Error::source(&error);
            while let Some(inner) = cause {
                eprintln!("  caused by: {inner}");
                cause = inner.source();
            }
            ExitCode::FAILURE
        }
    }
}
