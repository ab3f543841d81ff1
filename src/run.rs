//! The `run` command: load the contract, reach the target, run the suite, report.

use crate::cli::{ContractArgs, Failure, ReportArgs, RunArgs};
use crate::contract::Contract;
use crate::report::{self, RunInfo};
use crate::sensor::{RunningSensor, SensorConfig};
use crate::suite::{self, Context, Outcome, Record, Redactor, RunOptions, Test, Verdict};
use crate::target::{
    Client, ClientOptions, Clock, Credential, Credentials, Reading, TransportKind, now_ms,
};
use libtest_mimic::{Completion, Failed, Trial};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The target of a run, and the reference sensor when the run started one.
struct Target {
    url: reqwest::Url,
    credentials: Credentials,
    trust_only: Vec<Vec<u8>>,
    loopback: bool,
    _sensor: Option<RunningSensor>,
}

/// Runs the suite; the exit status is 0 when no test failed, 1 when one did.
pub fn run(mut args: RunArgs) -> Result<u8, Failure> {
    let contract = Arc::new(load_contract(&args.contract)?);
    let tests = suite::expand(&contract);
    if args.harness.list {
        // Listing decides nothing: its conclusion is empty.
        let _listed = libtest_mimic::run(&args.harness, trials(&tests, None));
        return Ok(0);
    }
    let started_ms = now_ms();
    let runtime = crate::cli::runtime()?;
    let target = runtime.block_on(target(&args))?;
    let client = client(&args, &target)?;
    let clock = runtime.block_on(precheck(&client, target._sensor.is_some()))?;
    let secrets = [
        target.credentials.token.clone(),
        target.credentials.pcap_token.clone(),
    ];
    let redactor = Redactor::new(secrets.into_iter().flatten());
    let context = Arc::new(Context::new(
        contract,
        client,
        clock,
        options(&args),
        redactor,
    ));
    if args.harness.test_threads.is_none() {
        args.harness.test_threads = Some(concurrency(&args, &target));
    }
    let handle = runtime.handle().clone();
    // libtest only counts; the store's verdicts decide the exit status.
    let _counted = libtest_mimic::run(
        &args.harness,
        trials(&tests, Some((Arc::clone(&context), handle))),
    );
    let records = context.store.records();
    crate::report::summary(
        &records,
        target.url.as_str(),
        &clock,
        target._sensor.is_some(),
    );
    let info = run_info(&args, &target, &context, started_ms);
    write_reports(&args.reports, &info, &records, &context.redactor)?;
    Ok(exit_status(&records, args.fail_on_inconclusive))
}

fn run_info(args: &RunArgs, target: &Target, context: &Context, started_ms: i64) -> RunInfo {
    let mut url = target.url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    RunInfo {
        tool_version: env!("CARGO_PKG_VERSION"),
        target: context.redactor.redact(url.as_str()),
        builtin: target._sensor.is_some(),
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
#[derive(Clone, Copy)]
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
fn write_reports(
    args: &ReportArgs,
    info: &RunInfo,
    records: &[Record],
    redactor: &Redactor,
) -> Result<(), Failure> {
    let in_dir = |name: &str| args.results_dir.as_ref().map(|dir| dir.join(name));
    if let Some(dir) = &args.results_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    let reports = [
        (&args.junit, "junit.xml", Format::Junit),
        (&args.json, "report.json", Format::Json),
        (&args.html, "report.html", Format::Html),
        (&args.summary, "summary.md", Format::Markdown),
    ];
    for (file, name, format) in reports {
        let paths: Vec<PathBuf> = file.iter().cloned().chain(in_dir(name)).collect();
        if paths.is_empty() {
            continue;
        }
        let text = redactor.redact(&format.render(info, records));
        for path in paths {
            std::fs::write(&path, &text)
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    Ok(())
}

fn load_contract(args: &ContractArgs) -> Result<Contract, Failure> {
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
        pcap_alert_id: args.pcap_alert_id.clone(),
        movement_wait: Duration::from_secs(args.movement_wait),
    }
}

fn exit_status(records: &[Record], fail_on_inconclusive: bool) -> u8 {
    let failed = records.iter().any(|r| {
        r.outcome.verdict == Verdict::Fail
            || (fail_on_inconclusive && r.outcome.verdict == Verdict::Inconclusive)
    });
    u8::from(failed)
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
        _sensor: Some(sensor),
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
        _sensor: None,
    })
}

fn parse_url(text: &str) -> Result<reqwest::Url, Failure> {
    let url = reqwest::Url::parse(text).map_err(|e| {
        Failure::Usage(format!(
            "--url {text}: {e} (write it whole, e.g. https://10.1.0.2)"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::Usage(format!(
            "--url {text}: expected an http or https URL with a host"
        )));
    }
    Ok(url)
}

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
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        if text.is_empty() {
            return Err(Failure::Usage(format!(
                "the {what} file {} is empty",
                path.display()
            )));
        }
        return Ok(Some(text));
    }
    Ok(value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned))
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
}

fn concurrency(args: &RunArgs, target: &Target) -> usize {
    args.concurrency
        .unwrap_or(if target.loopback { 8 } else { 2 })
        .max(1)
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

/// Reaches the target once, confirms the token and estimates the sensor's clock.
async fn precheck(client: &Client, builtin: bool) -> Result<Clock, Failure> {
    // A window in the future: a conformant sensor answers an empty list, cheaply.
    let query = format!("fromTime={}", now_ms() + 86_400_000);
    let url = client.url("/api/v1/alerts", &query);
    let reading = Reading {
        schema: None,
        binary: false,
        profile: Default::default(),
        time_field: "time",
    };
    let answer = match client.get(&url, Credential::Api, &reading).await {
        Ok(answer) => answer,
        // An answer came, if not a whole one: the target is there, and its tests will say what
        // is wrong with it. Anything else (no answer at all, or none in time) ends the run.
        Err(error) if matches!(error.kind, TransportKind::Body | TransportKind::TooLarge) => {
            return Ok(Clock::local());
        }
        Err(error) => {
            return Err(Failure::Unreachable(format!(
                "cannot reach {}: {}",
                client.base(),
                error.message
            )));
        }
    };
    if matches!(answer.status, 401 | 403) {
        return Err(Failure::TokenRejected(format!(
            "the sensor rejected the token ({} on {}): check --token-file or SENSOR_TOKEN",
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
    Ok(estimate.unwrap_or_else(|| {
        tracing::warn!(
            "the sensor sent no usable Date header; assuming its clock agrees with ours"
        );
        Clock::local()
    }))
}

/// One libtest trial per test; without a context (for `--list`) the trials do nothing.
fn trials(tests: &[Test], run: Option<(Arc<Context>, tokio::runtime::Handle)>) -> Vec<Trial> {
    tests
        .iter()
        .map(|test| {
            let test = test.clone();
            let run = run.clone();
            let ignored = test.case.ignored;
            Trial::ignorable_test(test.name.clone(), move || match run {
                Some((context, handle)) => {
                    let outcome = handle.block_on(run_within_deadline(&context, &test));
                    let result = completion(&outcome);
                    context.store.record(Record {
                        name: test.name.clone(),
                        rule: test.case.rule.clone(),
                        level: test.level,
                        endpoint: test.endpoint,
                        outcome,
                    });
                    result
                }
                None => Ok(Completion::Completed),
            })
            .with_ignored_flag(ignored)
        })
        .collect()
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
