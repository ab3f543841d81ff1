//! The `run` command: load the contract, reach the target, run the suite, report.

use crate::cli::{ContractArgs, Failure, ReportArgs, RunArgs};
use crate::contract::Contract;
use crate::report::{self, RunInfo};
use crate::sensor::{RunningSensor, SensorConfig};
use crate::suite::{self, Context, Outcome, Record, Redactor, RunOptions, Test, Verdict};
use crate::target::{
    Client, ClientOptions, Clock, Credential, Credentials, Reading, TransportKind, now_ms,
};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The target of a run, and the reference sensor when the run started one.
pub(crate) struct Target {
    pub url: reqwest::Url,
    credentials: Credentials,
    trust_only: Vec<Vec<u8>>,
    loopback: bool,
    /// The reference sensor this run started; dropping it stops the sensor.
    sensor: Option<RunningSensor>,
}

/// A target reached and ready: its context holds the client, clock and verdict store.
pub(crate) struct Prepared {
    pub target: Target,
    pub context: Arc<Context>,
}

/// Runs the suite; the exit status is 0 when no test failed, 1 when one did.
pub fn run(mut args: RunArgs) -> Result<u8, Failure> {
    if args.harness.test_threads == Some(0) {
        return Err(Failure::Usage(
            "--test-threads must be at least 1".to_owned(),
        ));
    }
    // Reports an earlier run left are removed first, so that a run that stops on a bad case or
    // schema leaves none (a fleet's are per sensor, once its targets file has loaded).
    if !args.harness.list && args.targets.is_none() {
        check_report_paths(&args.reports)?;
    }
    let contract = Arc::new(load_contract(&args.contract)?);
    let tests = suite::expand(&contract);
    if args.harness.list {
        let listed = match &args.targets {
            Some(file) => crate::fleet::list(&args, file, &tests)?,
            None => trials(
                &tests,
                vec![Part {
                    run: None,
                    prefix: None,
                    admission: None,
                }],
                &args.harness,
            ),
        };
        list(&args.harness, &listed);
        return Ok(0);
    }
    if let Some(file) = args.targets.clone() {
        return crate::fleet::run(args, &file, contract, &tests);
    }
    if selected(&args.harness, &tests, None) == 0 {
        return Err(nothing_selected(&args.harness, ""));
    }
    let started_ms = now_ms();
    let runtime = crate::cli::runtime()?;
    let prepared = prepare(&args, &runtime, Arc::clone(&contract))?;
    if args.harness.test_threads.is_none() {
        // The tests run as tasks; one thread collects their verdicts in order.
        args.harness.test_threads = Some(1);
    }
    let run = (Arc::clone(&prepared.context), runtime.handle().clone());
    let part = Part {
        run: Some(run),
        prefix: None,
        admission: None,
    };
    let started = trials(&tests, vec![part], &args.harness);
    // libtest only counts; the store's verdicts decide the exit status.
    let _counted = libtest_mimic::run(&args.harness, started);
    let records = finish(&args, &prepared, started_ms, &args.reports, true)?;
    leave(prepared.context);
    Ok(exit_status(&records, args.fail_on_inconclusive))
}

/// Leaves what a finished run read to the end of the process: freeing its answers and their
/// items one by one costs about a tenth of the run.
pub(crate) fn leave(context: Arc<Context>) {
    std::mem::forget(context);
}

/// Prints the tests as libtest lists them (`<name>: test`, after the filter, `--skip` and
/// `--ignored`); a closed output ends the list quietly, as `run --list | head` expects.
fn list(harness: &Arguments, trials: &[Trial]) {
    let mut out = std::io::stdout().lock();
    for trial in trials.iter().filter(|t| !harness.is_filtered_out(t)) {
        if writeln!(out, "{}: test", trial.name()).is_err() {
            return;
        }
    }
    let _ = out.flush();
}

/// How far the sensor's clock may be from ours when it sends no `Date` header.
const UNKNOWN_CLOCK_MS: i64 = 300_000;

/// How many tests the filter, `--skip` and `--ignored` let run (named `prefix::…` in a fleet).
pub(crate) fn selected(harness: &Arguments, tests: &[Test], prefix: Option<&str>) -> usize {
    let chosen = |test: &&Test| match prefix {
        Some(prefix) => runs(
            harness,
            &format!("{prefix}::{}", test.name),
            test.case.ignored,
        ),
        None => runs(harness, &test.name, test.case.ignored),
    };
    tests.iter().filter(chosen).count()
}

/// Prints what the run has to say to a person: on stdout, or on stderr when `--format json`
/// keeps stdout for libtest's JSON lines. A closed pipe ends the output quietly.
pub(crate) fn say(harness: &Arguments, text: &str) {
    if matches!(harness.format, Some(libtest_mimic::FormatSetting::Json)) {
        use std::io::Write as _;
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    } else {
        report::emit(text);
    }
}

/// Why no test is selected (`of_any` names a fleet's sensors).
pub(crate) fn nothing_selected(harness: &Arguments, of_any: &str) -> Failure {
    let why = if harness.bench {
        "--bench selects benchmarks, and the suite has none".to_owned()
    } else {
        format!(
            "the filter, --skip or --ignored leaves none{of_any} (see --list; --ignored runs \
             only the opt-in tests)"
        )
    };
    Failure::Usage(format!("no test is selected: {why}"))
}

/// Whether the filter, `--skip` and `--ignored` of `harness` let the test `name` run.
fn runs(harness: &Arguments, name: &str, ignored: bool) -> bool {
    let probe = Trial::test(name, || Ok(())).with_ignored_flag(ignored);
    !harness.is_filtered_out(&probe) && !harness.is_ignored(&probe)
}

/// Makes sure every report can be written before a single request is sent (a run's results
/// are not lost to a mistyped path at its end), and removes what an earlier run left there:
/// a run that ends early leaves no report, never an empty or a stale one.
pub(crate) fn check_report_paths(reports: &ReportArgs) -> Result<(), Failure> {
    if let Some(dir) = &reports.results_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut claimed: Vec<(PathBuf, Format)> = Vec::new();
    for (format, paths) in report_paths(reports) {
        for path in paths {
            let place = place_of(&path);
            if claimed.iter().any(|(p, f)| *p == place && *f != format) {
                return Err(Failure::Usage(format!(
                    "{} is asked for as two reports; give each its own file",
                    path.display()
                )));
            }
            claimed.push((place, format));
        }
    }
    for path in report_paths(reports)
        .into_iter()
        .flat_map(|(_, paths)| paths)
    {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
        let _ = std::fs::remove_file(&path);
    }
    Ok(())
}

/// Where a report file goes, however its path is spelt: its directory resolved, then its name.
fn place_of(path: &std::path::Path) -> PathBuf {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let directory = parent.map_or_else(|| Path::new(".").canonicalize(), Path::canonicalize);
    match (directory, path.file_name()) {
        (Ok(directory), Some(name)) => directory.join(name),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_owned()),
    }
}

/// Reaches the target of `args` and makes the context its tests share.
pub(crate) fn prepare(
    args: &RunArgs,
    runtime: &tokio::runtime::Runtime,
    contract: Arc<Contract>,
) -> Result<Prepared, Failure> {
    let target = runtime.block_on(target(args))?;
    let client = client(args, &target)?;
    let redactor = client.redactor().clone();
    let builtin = target.sensor.is_some();
    let clock = runtime.block_on(precheck(&client, builtin, &redactor))?;
    let context = Arc::new(Context::new(
        contract,
        client,
        clock,
        options(args),
        redactor,
    ));
    Ok(Prepared { target, context })
}

/// Prints the summary of one target's run and writes its reports; returns its records.
pub(crate) fn finish(
    args: &RunArgs,
    prepared: &Prepared,
    started_ms: i64,
    reports: &ReportArgs,
    print_summary: bool,
) -> Result<Vec<Record>, Failure> {
    let (target, context) = (&prepared.target, &prepared.context);
    let records = context.store.records();
    let info = run_info(args, target, context, started_ms);
    let redactor = &context.redactor;
    if print_summary {
        say(
            &args.harness,
            &redactor.redact(&report::summary(&info, &records)),
        );
    }
    write_reports(reports, &info, &records, redactor)?;
    Ok(records)
}

fn run_info(args: &RunArgs, target: &Target, context: &Context, started_ms: i64) -> RunInfo {
    let mut url = target.url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    RunInfo {
        tool_version: env!("CARGO_PKG_VERSION"),
        target: context.redactor.redact(url.as_str()),
        builtin: target.sensor.is_some(),
        profile: match args.profile {
            crate::target::Profile::Strict => "strict",
            crate::target::Profile::Lenient => "lenient",
        },
        api_version: args.api_version,
        strict: args.strict,
        fail_on_inconclusive: args.fail_on_inconclusive,
        started_ms,
        finished_ms: now_ms(),
        clock: context.clock,
        rules: context.contract.rules.iter().cloned().collect(),
    }
}

/// The report files a run can write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Junit,
    Json,
    Html,
    Markdown,
}

impl Format {
    fn render(self, info: &RunInfo, records: &[Record]) -> String {
        match self {
            Format::Junit => report::junit(info, records),
            Format::Json => {
                let value = report::json(info, records);
                serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
            }
            Format::Html => report::html(info, records),
            Format::Markdown => report::markdown(info, records),
        }
    }
}

/// Writes every report asked for; a report that cannot be written is an invocation error.
///
/// Secrets are removed from the records before a report is rendered, so that no escaped
/// form of a token (`&amp;` in HTML, `\"` in JSON) can reach a file, and from the rendered
/// text again, whatever a renderer added.
fn write_reports(
    args: &ReportArgs,
    info: &RunInfo,
    records: &[Record],
    redactor: &Redactor,
) -> Result<(), Failure> {
    let records: Vec<Record> = records.iter().map(|r| redacted(r, redactor)).collect();
    if let Some(dir) = &args.results_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    for (format, paths) in report_paths(args) {
        let text = redactor.redact(&format.render(info, &records));
        for path in paths {
            std::fs::write(&path, &text)
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    Ok(())
}

/// Each format asked for, with the files it goes to: its own option's and the results
/// directory's fixed name.
fn report_paths(args: &ReportArgs) -> Vec<(Format, Vec<PathBuf>)> {
    let reports = [
        (&args.junit, "junit.xml", Format::Junit),
        (&args.json, "report.json", Format::Json),
        (&args.html, "report.html", Format::Html),
        (&args.summary, "summary.md", Format::Markdown),
    ];
    reports
        .into_iter()
        .map(|(file, name, format)| {
            let in_dir = args.results_dir.as_ref().map(|dir| dir.join(name));
            (format, file.iter().cloned().chain(in_dir).collect())
        })
        .filter(|(_, paths): &(Format, Vec<PathBuf>)| !paths.is_empty())
        .collect()
}

fn redacted(record: &Record, redactor: &Redactor) -> Record {
    Record {
        name: redactor.redact(&record.name),
        outcome: redactor.outcome(record.outcome.clone()),
        ..record.clone()
    }
}

pub(crate) fn load_contract(args: &ContractArgs) -> Result<Contract, Failure> {
    Ok(Contract::load(
        args.cases.as_deref(),
        args.schemas.as_deref(),
    )?)
}

fn options(args: &RunArgs) -> RunOptions {
    RunOptions {
        strict: args.strict,
        api_version: args.api_version,
        profile: args.profile,
        pcap_alert_id: args.pcap_alert_id.map(|id| id.to_string()),
        movement_wait: Duration::from_secs(args.movement_wait),
    }
}

/// The exit status of a run whose suite ran (DESIGN.md): 1 when a test failed, or with
/// `fail_on_inconclusive` was inconclusive.
pub(crate) fn exit_status(records: &[Record], fail_on_inconclusive: bool) -> u8 {
    report::Exit::of(records, fail_on_inconclusive).status
}

async fn target(args: &RunArgs) -> Result<Target, Failure> {
    match &args.url {
        Some(url) => remote(args, url),
        None => builtin().await,
    }
}

/// Starts the reference sensor on loopback, trusting only its own certificate.
async fn builtin() -> Result<Target, Failure> {
    let config = SensorConfig {
        token: run_token("api"),
        pcap_token: run_token("pcap"),
        ..SensorConfig::default()
    };
    let credentials = Credentials {
        token: Some(config.token.clone()),
        pcap_token: Some(config.pcap_token.clone()),
    };
    let sensor = crate::sensor::start(config)
        .await
        .map_err(|e| Failure::Usage(format!("cannot start the reference sensor: {e}")))?;
    let url = reqwest::Url::parse(sensor.url())
        .map_err(|e| Failure::Usage(format!("the reference sensor's URL is odd: {e}")))?;
    let trust_only = sensor
        .certificate_pem()
        .map(|pem| pem.as_bytes().to_vec())
        .into_iter()
        .collect();
    Ok(Target {
        url,
        credentials,
        trust_only,
        loopback: true,
        sensor: Some(sensor),
    })
}

/// A token for the built-in sensor that no earlier run used.
fn run_token(kind: &str) -> String {
    format!("run-{kind}-{:x}-{:x}", now_ms(), std::process::id())
}

fn remote(args: &RunArgs, url: &str) -> Result<Target, Failure> {
    let url = parse_url(url)?;
    let loopback = is_loopback(&url);
    if url.scheme() == "http" && !loopback && !args.allow_insecure_http {
        return Err(Failure::Usage(format!(
            "refusing to send a token over plain HTTP to {}: use https, or \
             --allow-insecure-http if the network is trusted",
            url.host_str().unwrap_or_default()
        )));
    }
    let token = secret(args.token.as_deref(), args.token_file.as_deref(), "token")?;
    let Some(token) = token else {
        return Err(Failure::Usage(
            "--url needs the API token: give --token-file FILE, set SENSOR_TOKEN, or --token T"
                .to_owned(),
        ));
    };
    let pcap_token = secret(
        args.pcap_token.as_deref(),
        args.pcap_token_file.as_deref(),
        "pcap token",
    )?;
    let trust_only = args
        .cacert
        .as_deref()
        .map(read_file)
        .transpose()?
        .into_iter()
        .collect();
    let credentials = Credentials {
        token: Some(token),
        pcap_token,
    };
    Ok(Target {
        url,
        credentials,
        trust_only,
        loopback,
        sensor: None,
    })
}

fn parse_url(text: &str) -> Result<reqwest::Url, Failure> {
    sensor_url(text).map_err(|why| Failure::Usage(format!("--url {why}")))
}

/// A sensor's URL as given, or why it cannot be one (the text first).
pub(crate) fn sensor_url(text: &str) -> Result<reqwest::Url, String> {
    // Credentials are refused before anything is said about the text, which would show them;
    // a text that is no URL is judged by its `@`.
    let parsed = reqwest::Url::parse(text);
    let credentials = match &parsed {
        Ok(url) => !url.username().is_empty() || url.password().is_some(),
        Err(_) => text.contains('@'),
    };
    if credentials {
        return Err(CREDENTIALS.to_owned());
    }
    let url = parsed.map_err(|e| format!("{text}: {e} (write it whole, e.g. https://10.1.0.2)"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        // A hint only for what lacks a scheme, such as `localhost:8443`.
        let hint = if text.contains("://") {
            String::new()
        } else {
            format!(" (https://{text}?)")
        };
        return Err(format!(
            "{text}: expected an http or https URL with a host{hint}"
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text}: give the sensor's origin only (scheme, host, port): the API's paths are \
             fixed"
        ));
    }
    Ok(url)
}

const CREDENTIALS: &str = "must not carry credentials: they would show in logs and reports; give \
                           the token from a file or an environment variable";

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// A token from its option or its file; an empty file is an error, not an empty token.
fn secret(
    value: Option<&str>,
    file: Option<&std::path::Path>,
    what: &str,
) -> Result<Option<String>, Failure> {
    if let Some(path) = file {
        let bytes = read_file(path)?;
        let place = || format!("the {what} file {}", path.display());
        // An editor may start the file with a byte-order mark; it is no part of the token.
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(Failure::Usage(format!(
                "{} is not UTF-8 text (a token is one line of text)",
                place()
            )));
        };
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Err(Failure::Usage(format!(
                "the {what} file {} is empty",
                path.display()
            )));
        }
        return header_safe(text, &place()).map(Some);
    }
    match value.map(str::trim) {
        Some("") => Err(Failure::Usage(format!("the {what} is empty"))),
        Some(token) => header_safe(token.to_owned(), &format!("the {what}")).map(Some),
        None => Ok(None),
    }
}

/// A token goes into a header as it is: one line of visible characters.
pub(crate) fn header_safe(token: String, what: &str) -> Result<String, Failure> {
    match reqwest::header::HeaderValue::from_str(&token) {
        Ok(_) => Ok(token),
        _ => Err(Failure::Usage(format!(
            "{what} holds characters a header cannot carry (a second line?)"
        ))),
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
}

fn concurrency(args: &RunArgs, target: &Target) -> usize {
    args.concurrency
        .map_or(if target.loopback { 8 } else { 2 }, usize::from)
}

fn client(args: &RunArgs, target: &Target) -> Result<Client, Failure> {
    let identity = match (&args.client_cert, &args.client_key) {
        (Some(cert), Some(key)) => {
            let mut pem = read_file(cert)?;
            pem.push(b'\n');
            pem.extend(read_file(key)?);
            Some(pem)
        }
        _ => None,
    };
    let options = ClientOptions {
        trust_only: target.trust_only.clone(),
        insecure: args.insecure,
        identity,
        idle_timeout: Duration::from_secs(args.timeout.max(1)),
        request_timeout: Duration::from_secs(args.timeout.max(1) * 10),
        max_body: args.max_body,
        max_rps: args.max_rps.or((!target.loopback).then_some(4.0)),
        concurrency: concurrency(args, target),
        deadline: args
            .deadline
            .map(|seconds| Instant::now() + Duration::from_secs(seconds)),
    };
    Client::new(target.url.clone(), target.credentials.clone(), options).map_err(Failure::Usage)
}

/// Where the first contact goes, in turn: an endpoint that drops the connection does not end
/// the run while another answers, and the tests of the first then say what is wrong with it.
const FIRST_CONTACT: [&str; 2] = ["/api/v1/alerts", "/api/v2/alerts"];

/// Reaches the target once, confirms the token and estimates the sensor's clock.
async fn precheck(client: &Client, builtin: bool, redactor: &Redactor) -> Result<Clock, Failure> {
    let mut dropped = None;
    for path in FIRST_CONTACT {
        match first_contact(client, path).await {
            Ok(Some(answer)) => return confirm(&answer, builtin, redactor),
            // An answer came, if not a whole one: the target is there, and its tests will say
            // what is wrong with it.
            Ok(None) => return Ok(Clock::local()),
            // A connection closed or reset without an answer: the next endpoint may answer.
            Err(error) if error.kind == TransportKind::Other => {
                dropped.get_or_insert(error);
            }
            Err(error) => return Err(unreachable(client, error, redactor).await),
        }
    }
    let error = dropped.expect("every endpoint of the first contact was tried");
    Err(unreachable(client, error, redactor).await)
}

/// One request of the first contact: the answer, `None` when one came but not whole, or why
/// none came.
async fn first_contact(
    client: &Client,
    path: &str,
) -> Result<Option<crate::target::Answer>, crate::target::TransportError> {
    // A window in the future: a conformant sensor answers an empty list, cheaply.
    let query = format!("fromTime={}", now_ms() + 86_400_000);
    let url = client.url(path, &query);
    let reading = Reading {
        schema: None,
        binary: false,
        profile: Default::default(),
        time_field: "time",
    };
    match client.get(&url, Credential::Api, &reading).await {
        Ok(answer) => Ok(Some(answer)),
        Err(error) if matches!(error.kind, TransportKind::Body | TransportKind::TooLarge) => {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// A TLS error may quote the certificate's names, chosen by whoever made it: no token in it
/// is shown.
async fn unreachable(
    client: &Client,
    error: crate::target::TransportError,
    redactor: &Redactor,
) -> Failure {
    let error = client.explain(error).await;
    let message = format!("cannot reach {}: {}", client.base(), error.message);
    Failure::Unreachable(redactor.redact(&message))
}

/// Confirms the token by the first answer and estimates the sensor's clock from it.
fn confirm(
    answer: &crate::target::Answer,
    builtin: bool,
    redactor: &Redactor,
) -> Result<Clock, Failure> {
    if (300..400).contains(&answer.status) {
        return Err(redirected(answer, redactor));
    }
    if matches!(answer.status, 401 | 403) {
        return Err(Failure::TokenRejected(format!(
            "the sensor rejected the token ({} on {}): check --token, --token-file or \
             SENSOR_TOKEN (token-env or token-file in a targets file)",
            answer.status, answer.exchange.url
        )));
    }
    if builtin {
        return Ok(Clock::local());
    }
    let estimate = answer.date.as_deref().and_then(|date| {
        Clock::from_date(
            date,
            answer.exchange.sent_ms,
            answer.exchange.sent_ms + answer.exchange.duration_ms as i64,
        )
    });
    let Some(clock) = estimate else {
        tracing::warn!(
            "the sensor sent no usable Date header; allowing its clock five minutes either way"
        );
        return Ok(Clock {
            offset_ms: 0,
            uncertainty_ms: UNKNOWN_CLOCK_MS,
        });
    };
    warn_if_far(&clock);
    Ok(clock)
}

/// A first answer that redirects: every test would fail on it, so one line says where it leads
/// (the origin to give instead, or the path on the same one, a login page say).
fn redirected(answer: &crate::target::Answer, redactor: &Redactor) -> Failure {
    let url = &answer.exchange.url;
    let from = reqwest::Url::parse(url).ok();
    let to = answer
        .location
        .as_deref()
        .and_then(|location| from.as_ref()?.join(location).ok());
    let hint = match (&from, &to) {
        (_, Some(to)) if redactor.holds_secret_in_any_case(to.as_str()) => String::new(),
        (Some(from), Some(to)) if from.origin() == to.origin() => format!(" (to {})", to.path()),
        (_, Some(to)) if to.origin().is_tuple() => {
            let origin = to.origin().ascii_serialization();
            format!(" (to {origin}: if that is the sensor, give --url {origin})")
        }
        _ => String::new(),
    };
    // A status of 3xx that sends nowhere (304, say) is no redirect, and no use either.
    let what = if matches!(answer.status, 301 | 302 | 303 | 307 | 308) {
        format!("a redirect{hint}; the tool never follows one")
    } else {
        "which no request of the API expects".to_owned()
    };
    Failure::Usage(redactor.redact(&format!("{url} answered {}, {what}", answer.status)))
}

/// Names a sensor clock far from ours: its times will read as that far off.
fn warn_if_far(clock: &Clock) {
    if clock.offset_ms.abs() <= FAR_CLOCK_MS {
        return;
    }
    let side = if clock.offset_ms > 0 {
        "ahead of"
    } else {
        "behind"
    };
    tracing::warn!(
        "the sensor's clock is {} {side} ours, by its Date header: the tests judge times by the \
         sensor's clock",
        span(clock.offset_ms.unsigned_abs())
    );
}

/// A sensor clock further than this from ours is worth a word: times in its answers will read
/// as that far off to whoever compares them with the run's.
const FAR_CLOCK_MS: i64 = 3_600_000;

/// `ms` in the largest unit that keeps it above one: "3 days", "5 hours", "12 minutes".
fn span(ms: u64) -> String {
    let minutes = ms / 60_000;
    let (count, unit) = match minutes {
        0..120 => (minutes, "minute"),
        120..2880 => (minutes / 60, "hour"),
        _ => (minutes / 1440, "day"),
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

/// Called when a test of a fleet run has its verdict.
pub(crate) type Done = Arc<dyn Fn() + Send + Sync>;

/// What trials need to run their tests: the target's context and the runtime's handle.
pub(crate) type Running = (Arc<Context>, tokio::runtime::Handle);

/// One target's part of a run: its context and runtime (none for `--list`), and in a fleet
/// the sensor's name, which prefixes its tests' names, and what is told when one is decided.
pub(crate) struct Part<'a> {
    pub run: Option<Running>,
    pub prefix: Option<(&'a str, Done)>,
    /// In a fleet, the sensor's place among those whose tests run at once: each test waits for
    /// it before it starts.
    pub admission: Option<Arc<crate::fleet::Admission>>,
}

/// One libtest trial per test of each part, named with `prefix::` in a fleet run; without a
/// context (for `--list`) the trials do nothing.
///
/// Each test that `harness` selects starts at once, as a task of the runtime: a test that
/// waits for the target's timeline then holds no thread, and the trials only collect the
/// verdicts, in the order of the case files. The waiting tests of every part start first, so
/// that a fleet's waits overlap with all the other work. How many requests are in flight is
/// each client's to bound (`--concurrency`).
pub(crate) fn trials(tests: &[Test], parts: Vec<Part<'_>>, harness: &Arguments) -> Vec<Trial> {
    let names: Vec<Vec<String>> = parts
        .iter()
        .map(|part| {
            let name = |test: &Test| match &part.prefix {
                Some((target, _)) => format!("{target}::{}", test.name),
                None => test.name.clone(),
            };
            tests.iter().map(name).collect()
        })
        .collect();
    let dones: Vec<Option<Done>> = parts
        .iter()
        .map(|part| part.prefix.as_ref().map(|(_, done)| Arc::clone(done)))
        .collect();
    let mut tasks: Vec<Vec<Option<Task>>> = parts
        .iter()
        .map(|_| tests.iter().map(|_| None).collect())
        .collect();
    let mut order: Vec<(usize, &Running, usize)> = (0..parts.len())
        .filter_map(|p| Some((p, parts[p].run.as_ref()?)))
        .flat_map(|(p, run)| (0..tests.len()).map(move |i| (p, run, i)))
        .filter(|&(p, _, i)| runs(harness, &names[p][i], tests[i].case.ignored))
        .collect();
    order.sort_by_key(|&(_, _, i)| !tests[i].case.waits());
    for (p, (context, handle), i) in order {
        let (context, test, done) = (Arc::clone(context), tests[i].clone(), dones[p].clone());
        let admission = parts[p].admission.clone();
        tasks[p][i] = Some(handle.spawn(async move {
            if let Some(admission) = &admission {
                admission.enter().await;
            }
            let outcome = run_within_deadline(&context, &test).await;
            decided(&context, &test, outcome, done.as_ref())
        }));
    }
    let mut trials = Vec::new();
    for (((part, names), tasks), done) in parts.into_iter().zip(names).zip(tasks).zip(dones) {
        for ((test, name), task) in tests.iter().zip(names).zip(tasks) {
            let (test, run, done) = (test.clone(), part.run.clone(), done.clone());
            let ignored = test.case.ignored;
            let trial = Trial::ignorable_test(name, move || match (run, task) {
                (Some((context, handle)), Some(task)) => {
                    handle.block_on(task).unwrap_or_else(|stopped| {
                        let why = format!("the test stopped: {stopped}");
                        let outcome = Outcome::new(Verdict::Fail, Some(why));
                        decided(&context, &test, outcome, done.as_ref())
                    })
                }
                _ => Ok(Completion::Completed),
            });
            trials.push(trial.with_ignored_flag(ignored));
        }
    }
    trials
}

/// A started test: what libtest is to print of it, once it is decided.
type Task = tokio::task::JoinHandle<Result<Completion, Failed>>;

/// Records a test's outcome as soon as it is known (a fleet's progress counts it then) and
/// gives what libtest is to print of it.
fn decided(
    context: &Context,
    test: &Test,
    outcome: Outcome,
    done: Option<&Done>,
) -> Result<Completion, Failed> {
    let result = completion(&outcome);
    context.store.record(Record {
        name: test.name.clone(),
        rule: test.case.rule.clone(),
        level: test.level,
        endpoint: test.endpoint,
        outcome,
    });
    if let Some(done) = done {
        done();
    }
    result
}

/// Runs one test within the run's deadline: a test not decided by then fails, saying so.
async fn run_within_deadline(context: &Context, test: &Test) -> Outcome {
    let Some(deadline) = context.client.deadline() else {
        return suite::run_test(context, test).await;
    };
    if Instant::now() >= deadline {
        return past_deadline(
            Outcome::new(Verdict::Fail, None),
            "the test was not started",
        );
    }
    let running = suite::run_test(context, test);
    match tokio::time::timeout_at(deadline.into(), running).await {
        // Undecided because its requests were cut off: the run did not finish, which is a failure.
        Ok(outcome) if outcome.verdict == Verdict::Inconclusive && Instant::now() >= deadline => {
            let why = outcome.message.clone().unwrap_or_default();
            past_deadline(outcome, &format!("the test could not be decided ({why})"))
        }
        Ok(outcome) => outcome,
        Err(_) => past_deadline(
            Outcome::new(Verdict::Fail, None),
            "the test was not finished",
        ),
    }
}

fn past_deadline(mut outcome: Outcome, what: &str) -> Outcome {
    outcome.verdict = Verdict::Fail;
    outcome.message = Some(format!("the run's deadline passed (--deadline): {what}"));
    outcome
}

/// What libtest is told: only pass and fail count; the rest is ignored, with its reason.
fn completion(outcome: &Outcome) -> Result<Completion, Failed> {
    let message = outcome.message.clone().unwrap_or_default();
    match outcome.verdict {
        Verdict::Pass => Ok(Completion::Completed),
        Verdict::Fail => Err(Failed::from(message)),
        Verdict::Inconclusive => Ok(Completion::ignored_with(format!("inconclusive: {message}"))),
        Verdict::NotApplicable => Ok(Completion::ignored_with(format!(
            "not applicable: {message}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Endpoint, Level, Rule};
    use crate::target::{Credential, Exchange};

    const TOKEN: &str = "tok&<\"'en-8f3a";

    /// A failure whose message, warning and request all hold the token, as an echoing target
    /// could make them.
    fn leaky_record() -> Record {
        let mut outcome = Outcome::new(Verdict::Fail, Some(format!("rule A6: body {TOKEN}")));
        outcome.warnings.push(format!("G2 (should): {TOKEN}"));
        outcome.exchanges.push(Exchange {
            method: "GET",
            url: format!("https://127.0.0.1:1/api/v1/alerts?state={TOKEN}"),
            status: Some(200),
            duration_ms: 1,
            body_bytes: 2,
            sent_ms: 0,
            credential: Credential::Api,
        });
        Record {
            name: "alerts-v1::A6::invalid-state::x".to_owned(),
            rule: "A6".to_owned(),
            level: Level::Must,
            endpoint: Endpoint::AlertsV1,
            outcome,
        }
    }

    fn info() -> RunInfo {
        RunInfo {
            tool_version: "0",
            target: "https://127.0.0.1:1/".to_owned(),
            builtin: false,
            profile: "strict",
            api_version: 2,
            strict: false,
            fail_on_inconclusive: false,
            started_ms: 0,
            finished_ms: 1,
            clock: Clock::local(),
            rules: vec![Rule {
                id: "A6".to_owned(),
                level: Level::Must,
                text: "Any other `state` gets an error.".to_owned(),
                v2: false,
            }],
        }
    }

    #[test]
    fn every_report_is_redacted_before_and_after_rendering() {
        let dir = std::env::temp_dir().join(format!("sc-redact-{}", std::process::id()));
        let args = ReportArgs {
            results_dir: Some(dir.clone()),
            ..ReportArgs::default()
        };
        let redactor = Redactor::new([TOKEN.to_owned()]);
        write_reports(&args, &info(), &[leaky_record()], &redactor).unwrap();
        for name in ["junit.xml", "report.json", "report.html", "summary.md"] {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            // The token's tail survives every escaping: no copy of it, escaped or not.
            assert!(!text.contains("en-8f3a"), "{name} holds the token:\n{text}");
            assert!(
                text.contains("REDACTED"),
                "{name} lost the evidence around it"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
