//! The command line, and the one place where errors become exit statuses.

use crate::contract::ContractError;
use crate::target::Profile;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Checks whether a server honours the alert management REST API of an OT sensor.
#[derive(Debug, Parser)]
#[command(name = "sensor-conformance", version, about)]
// The harness's options bring libtest's help layout and closing words; `run` has its own.
#[command(mut_subcommand("run", |run| run
    .override_usage("sensor-conformance run [OPTIONS] [FILTER]")
    .help_template("{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}")
    .after_help("")))]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a target (default: the built-in reference sensor).
    Run(Box<RunArgs>),
    /// Run the reference sensor.
    Serve(crate::sensor::ServeArgs),
    /// The rule catalogue and the tests of each rule.
    Rules(ContractArgs),
    /// Check captured bodies offline.
    Validate(ValidateArgs),
}

/// Where the contract files come from.
#[derive(Debug, Clone, Args, Default)]
pub struct ContractArgs {
    /// Use the case files of DIR instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Use the schemas of DIR (by name) instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

/// Options of `run`. The test harness's own options are libtest's; those that mean nothing
/// here are hidden, and the rest say what they do in this suite.
#[derive(Debug, Clone, Args)]
#[command(
    mut_arg("ignored", |a| a.help("Run only the opt-in tests (cases marked `ignored: true`; the built-in cases have none)")),
    mut_arg("include_ignored", |a| a.help("Run the opt-in tests too")),
    mut_arg("list", |a| a.help("List every test without running one (no network, no token)")),
    mut_arg("test", |a| a.hide(true)),
    mut_arg("bench", |a| a.hide(true)),
    mut_arg("nocapture", |a| a.hide(true)),
    mut_arg("show_output", |a| a.hide(true)),
    mut_arg("unstable_flags", |a| a.hide(true)),
    mut_arg("logfile", |a| a.hide(true)),
    mut_arg("test_threads", |a| a
        .help("Threads that collect verdicts (default 1): the tests run as tasks, and \
               --concurrency bounds their requests")
        .long_help(None::<&str>)),
    mut_arg("quiet", |a| a.help("One character per test (--format terse)").long_help(None::<&str>)),
    mut_arg("format", |a| a
        .help("pretty: a line per test; terse: a character per test; json: a JSON event per \
               line on stdout (the summary goes to stderr)")
        .long_help(None::<&str>)
        .hide_possible_values(true)),
)]
pub struct RunArgs {
    /// The target; without it the reference sensor starts on loopback.
    #[arg(long, env = "SENSOR_URL")]
    pub url: Option<String>,
    /// Check many sensors in one run: a YAML file of names, URLs and token sources.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// With --targets: how many sensors' tests run at once; the others wait for a place, and a
    /// sensor that is done gives its place and its answers up.
    #[arg(long, value_name = "N", default_value_t = 64, requires = "targets",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub sensors_at_once: u16,
    /// The API token (a token on the command line shows in `ps`: prefer --token-file).
    #[arg(long, env = "SENSOR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A file holding the API token.
    /// (wins over --token and SENSOR_TOKEN)
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The token of the capture endpoint; without it the P rules are inconclusive.
    #[arg(long, env = "SENSOR_PCAP_TOKEN", hide_env_values = true)]
    pub pcap_token: Option<String>,
    /// A file holding the pcap token.
    /// (wins over --pcap-token and SENSOR_PCAP_TOKEN)
    #[arg(long, value_name = "FILE")]
    pub pcap_token_file: Option<PathBuf>,
    /// An alert known to have a capture (its numeric id).
    #[arg(long, value_name = "ID")]
    pub pcap_alert_id: Option<u64>,
    /// Accept any TLS certificate.
    #[arg(long)]
    pub insecure: bool,
    /// Trust only the CA certificates of this PEM file.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// A client certificate (PEM), for sensors that require one.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The key of --client-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Allow a token over plain HTTP to a host other than loopback.
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// 1 makes the rules of version 2 not applicable.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub api_version: u8,
    /// Should rules fail instead of warning.
    #[arg(long)]
    pub strict: bool,
    /// Field spellings: lenient accepts the variants RULES.md lists.
    #[arg(long, value_enum, default_value_t = Profile::Strict)]
    pub profile: Profile,
    /// An inconclusive test fails the run (for certification runs).
    #[arg(long)]
    pub fail_on_inconclusive: bool,
    /// At most N requests a second (default: unlimited on loopback, 4 elsewhere).
    #[arg(long, value_name = "N", value_parser = rate)]
    pub max_rps: Option<f64>,
    /// At most N requests in flight (default: 8 on loopback, 2 elsewhere).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// Idle read timeout of a request, in seconds.
    #[arg(long, value_name = "S", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Bound on the whole run, in seconds: after it no request is sent, and the tests not yet
    /// decided fail.
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(0..=604_800))]
    pub deadline: Option<u64>,
    /// Largest body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    pub max_body: u64,
    /// How long rules that need the timeline to move wait for it, in seconds.
    #[arg(long, value_name = "S", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub movement_wait: u64,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub contract: ContractArgs,
    /// Log each request to stderr.
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub harness: libtest_mimic::Arguments,
}

/// Report files a run writes once the suite has ended (none holds a token).
#[derive(Debug, Clone, Args, Default)]
pub struct ReportArgs {
    /// JUnit XML: a testsuite per endpoint, a testcase per test that ran.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// The JSON report, described by schemas/report.schema.json.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// A self-contained HTML report, for people to read and sign off.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// A short Markdown summary, for a CI step summary.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write all of them into DIR: junit.xml, report.json, report.html, summary.md.
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
}

/// A request rate: a finite number above 0 and at most 1000 a second.
pub(crate) fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rps) if (0.001..=1000.0).contains(&rps) => Ok(rps),
        _ => Err(format!(
            "`{text}` is not a rate between 0.001 and 1000 requests a second"
        )),
    }
}

/// Options of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The schema: alerts-v1, alerts-v2, events, error or report.
    #[arg(long)]
    pub schema: String,
    /// Field spellings: lenient accepts the variants RULES.md lists.
    #[arg(long, value_enum, default_value_t = Profile::Strict)]
    pub profile: Profile,
    #[command(flatten)]
    pub contract: ContractArgs,
    /// Bodies saved from a sensor (with curl, say); `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Why a command could not do its work, by exit status.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The invocation is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A contract file is wrong (exit 2).
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// The sensor refused the token before the suite started (exit 2).
    #[error("{0}")]
    TokenRejected(String),
    /// The target could not be reached at all (exit 3).
    #[error("{0}")]
    Unreachable(String),
}

impl Failure {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::Contract(_) | Failure::TokenRejected(_) => 2,
            Failure::Unreachable(_) => 3,
        }
    }
}

/// Parses the command line, runs the command, and maps its result to an exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = matches!(&cli.command, Command::Run(args) if args.verbose)
        || matches!(&cli.command, Command::Serve(_));
    init_logging(verbose);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let result = match cli.command {
        Command::Run(args) => crate::run::run(*args),
        Command::Serve(args) => serve(args),
        Command::Rules(args) => crate::report::rules(&args).map(|()| 0),
        Command::Validate(args) => crate::validate::validate(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("sensor-conformance: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

fn serve(args: crate::sensor::ServeArgs) -> Result<u8, Failure> {
    refuse_unusable(&args)?;
    // One async worker: the sensor's answers are quick or computed on the blocking pool, so a
    // second worker would mostly be woken and put back to sleep for each request's tasks,
    // which costs more CPU than it saves.
    let runtime = runtime_with(1)?;
    runtime
        .block_on(crate::sensor::serve(args))
        .map(|()| 0)
        .map_err(|e| {
            let why = crate::target::chain(&e);
            Failure::Usage(format!("the reference sensor failed to {why}"))
        })
}

/// Refuses tokens a client could not send or tell apart, and switches that undo each other.
fn refuse_unusable(args: &crate::sensor::ServeArgs) -> Result<(), Failure> {
    use crate::sensor::{Fault, Variation};
    for (token, option) in [
        (&args.token, "--token (or SENSOR_TOKEN)"),
        (&args.pcap_token, "--pcap-token (or SENSOR_PCAP_TOKEN)"),
    ] {
        if token.trim().is_empty() {
            return Err(Failure::Usage(format!(
                "{option} is empty: give the token that clients must send"
            )));
        }
        // `run` sends a token trimmed: one with spaces around it could never match.
        if token.trim() != token {
            return Err(Failure::Usage(format!(
                "{option} starts or ends with a space, which no client sends"
            )));
        }
        crate::run::header_safe(token.clone(), option)?;
    }
    if args.token == args.pcap_token {
        return Err(Failure::Usage(
            "--token and --pcap-token (or SENSOR_TOKEN and SENSOR_PCAP_TOKEN) are the same: \
             the capture endpoint could not tell them apart (P3); --fault P3-accept-api-token \
             breaks that rule on purpose"
                .to_owned(),
        ));
    }
    // Each of these decides the events cache alone: together, all but one would be dropped.
    let caching = [
        (Fault::E8NoCache, "--fault E8-no-cache"),
        (
            Fault::E9CacheIgnoresParams,
            "--fault E9-cache-ignores-params",
        ),
    ];
    let mut chosen: Vec<&str> = caching
        .iter()
        .filter(|(fault, _)| args.faults.contains(fault))
        .map(|(_, name)| *name)
        .collect();
    if args.variations.contains(&Variation::CacheOrderInsensitive) {
        chosen.push("--variation cache-order-insensitive");
    }
    if chosen.len() > 1 {
        return Err(Failure::Usage(format!(
            "{} each decide how the events cache works: choose one",
            chosen.join(" and ")
        )));
    }
    Ok(())
}

/// The runtime every command that talks to a network uses.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    runtime_with(2)
}

fn runtime_with(workers: usize) -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))
}

/// Diagnostics go to stderr, quiet unless asked for.
fn init_logging(verbose: bool) {
    let level = if verbose {
        tracing::Level::INFO
    } else {
        tracing::Level::WARN
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .init();
}
