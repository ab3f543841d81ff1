//! How a reference sensor is configured: from code ([`SensorConfig`]) or from the command line
//! ([`ServeArgs`]).

use std::net::{Ipv4Addr, SocketAddr};

use super::faults::{Fault, Variation};

/// Everything a reference sensor runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensorConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Serve HTTPS with a self-signed certificate made at start (SAN 127.0.0.1, ::1,
    /// localhost), instead of plain HTTP.
    pub tls: bool,
    /// The API token clients send in the `Authorization` header.
    pub token: String,
    /// The token of the capture endpoint.
    pub pcap_token: String,
    /// The rules to break.
    pub faults: Vec<Fault>,
    /// The legal variations to take.
    pub variations: Vec<Variation>,
    /// How many alerts the history holds at start.
    pub alerts: usize,
    /// Nothing new arrives: the timeline and the alerts stand still.
    pub still: bool,
    /// The seed of the dataset.
    pub seed: u64,
    /// How long each answer waits before it is computed, as if a network lay between the
    /// sensor and its client.
    pub latency: std::time::Duration,
}

impl Default for SensorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tls: true,
            token: "reference-token".to_owned(),
            pcap_token: "reference-pcap-token".to_owned(),
            faults: Vec::new(),
            variations: Vec::new(),
            alerts: 600,
            still: false,
            seed: 1,
            latency: std::time::Duration::ZERO,
        }
    }
}

/// The options of `serve`, which runs the reference sensor until it is stopped.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,

    /// Serve HTTPS with a self-signed certificate made at start
    #[arg(long)]
    pub tls: bool,

    /// API token that clients must send as the Authorization header
    #[arg(
        long,
        value_name = "T",
        env = "SENSOR_TOKEN",
        hide_env_values = true,
        default_value = "reference-token"
    )]
    pub token: String,

    /// Token of the capture endpoint (/api/v2/alerts/pcap/<id>)
    #[arg(
        long,
        value_name = "T",
        env = "SENSOR_PCAP_TOKEN",
        hide_env_values = true,
        default_value = "reference-pcap-token"
    )]
    pub pcap_token: String,

    /// Break a rule of the contract (repeatable)
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<Fault>,

    /// Take a legal variation where the page is silent or only says should (repeatable)
    #[arg(long = "variation", value_name = "NAME")]
    pub variations: Vec<Variation>,

    /// Number of alerts in the history at start
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub alerts: usize,

    /// Nothing new arrives: the timeline and the alerts stand still
    #[arg(long)]
    pub still: bool,

    /// Seed of the dataset
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Wait this many milliseconds before each answer, as a sensor across a network would
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
}

impl From<ServeArgs> for SensorConfig {
    fn from(args: ServeArgs) -> Self {
        Self {
            listen: args.listen,
            tls: args.tls,
            token: args.token,
            pcap_token: args.pcap_token,
            faults: args.faults,
            variations: args.variations,
            alerts: args.alerts,
            still: args.still,
            seed: args.seed,
            latency: std::time::Duration::from_millis(args.latency),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = SensorConfig::from(Cli::parse_from(["serve"]).serve);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8443");
        assert!(!config.tls);
        assert_eq!(config.alerts, 600);
        assert_eq!(config.seed, 1);
        assert!(config.latency.is_zero());
        assert!(config.faults.is_empty() && config.variations.is_empty());
    }

    #[test]
    fn faults_and_variations_repeat() {
        let cli = Cli::parse_from([
            "serve",
            "--fault",
            "A6-accept-any-state",
            "--fault",
            "E8-no-cache",
            "--variation",
            "reject-403",
        ]);
        assert_eq!(
            cli.serve.faults,
            [Fault::A6AcceptAnyState, Fault::E8NoCache]
        );
        assert_eq!(cli.serve.variations, [Variation::Reject403]);
        assert!(Cli::try_parse_from(["serve", "--fault", "A6"]).is_err());
    }

    #[test]
    fn help_lists_every_fault_and_variation_with_its_description() {
        let help = Cli::command()
            .term_width(1000)
            .render_long_help()
            .to_string();
        for fault in Fault::all() {
            assert!(help.contains(fault.name()), "{}", fault.name());
            assert!(help.contains(fault.description()), "{}", fault.name());
        }
        for variation in Variation::all() {
            assert!(help.contains(variation.name()), "{}", variation.name());
        }
    }
}
