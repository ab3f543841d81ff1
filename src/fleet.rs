//! Many sensors in one run: `run --targets FILE` checks them concurrently (`--sensors-at-once`
//! at a time), names every test after its sensor, writes one set of reports per sensor and prints a matrix of sensors by
//! rule.

use crate::cli::{Failure, ReportArgs, RunArgs};
use crate::contract::{Contract, ContractError};
use crate::run::{self, Prepared};
use crate::suite::{Context, Record, Test, Verdict};
use libtest_mimic::Trial;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The matrix of sensors by rule, in `--results-dir`.
const MATRIX: &str = "matrix.md";

/// At most this many sensors are reached at once before the suite starts.
const PREPARED_AT_ONCE: usize = 32;

/// One sensor of a targets file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    name: String,
    url: String,
    #[serde(default)]
    token_file: Option<PathBuf>,
    /// The name of an environment variable holding the token.
    #[serde(default)]
    token_env: Option<String>,
    #[serde(default)]
    pcap_token_file: Option<PathBuf>,
    #[serde(default)]
    pcap_token_env: Option<String>,
    #[serde(default)]
    pcap_alert_id: Option<u64>,
    #[serde(default)]
    insecure: Option<bool>,
    #[serde(default)]
    cacert: Option<PathBuf>,
    #[serde(default)]
    api_version: Option<u8>,
    #[serde(default)]
    max_rps: Option<f64>,
    #[serde(default)]
    concurrency: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    targets: Vec<Spanned<Entry>>,
}

/// A sensor of the fleet: its options, and what reaching it gave.
struct Sensor {
    name: String,
    args: RunArgs,
    prepared: Result<Prepared, Failure>,
}

/// Runs the suite against every sensor of `file`.
pub fn run(
    mut args: RunArgs,
    file: &Path,
    contract: Arc<Contract>,
    tests: &[Test],
) -> Result<u8, Failure> {
    refuse_single_report_files(&args.reports)?;
    refuse_single_target_options(&args)?;
    let selected = |name: &str| run::selected(&args.harness, tests, Some(name));
    // A sensor the filter leaves no test of is not reached at all, nor its token read.
    let entries = read(file, &|name| selected(name) > 0)?;
    if entries.is_empty() {
        return Err(Failure::Usage(format!(
            "{} lists no sensor",
            file.display()
        )));
    }
    let entries: Vec<Entry> = entries
        .into_iter()
        .filter(|entry| selected(&entry.name) > 0)
        .collect();
    if entries.is_empty() {
        return Err(run::nothing_selected(&args.harness, " of any sensor"));
    }
    if let Some(dir) = &args.reports.results_dir {
        for entry in &entries {
            let reports = ReportArgs {
                results_dir: Some(dir.join(&entry.name)),
                ..args.reports.clone()
            };
            run::check_report_paths(&reports)?;
        }
        let _ = std::fs::remove_file(dir.join(MATRIX));
    }
    let started_ms = crate::target::now_ms();
    let runtime = crate::cli::runtime()?;
    let sensors = prepare_all(&args, &entries, &runtime, &contract);
    let reached: Vec<&Sensor> = sensors.iter().filter(|s| s.prepared.is_ok()).collect();
    let counts: Vec<usize> = reached.iter().map(|s| selected(&s.name)).collect();
    let progress = Arc::new(Progress::new(&reached, counts.clone()));
    let places = Arc::new(Semaphore::new(usize::from(args.sensors_at_once)));
    // Answers are freed as sensors finish only when others wait for their places.
    let crowded = reached.len() > usize::from(args.sensors_at_once);
    let mut parts = Vec::new();
    for (index, sensor) in reached.iter().enumerate() {
        let Ok(prepared) = &sensor.prepared else {
            continue;
        };
        let run = (Arc::clone(&prepared.context), runtime.handle().clone());
        let freed = crowded.then(|| Arc::clone(&prepared.context));
        let admission = Arc::new(Admission::new(Arc::clone(&places), counts[index], freed));
        let (progress, leaving) = (Arc::clone(&progress), Arc::clone(&admission));
        let done: run::Done = Arc::new(move || {
            progress.done(index);
            leaving.decided();
        });
        parts.push(run::Part {
            run: Some(run),
            prefix: Some((sensor.name.as_str(), done)),
            admission: Some(admission),
        });
    }
    let trials = run::trials(tests, parts, &args.harness);
    if args.harness.test_threads.is_none() {
        // The tests run as tasks; one thread collects their verdicts in order.
        args.harness.test_threads = Some(1);
    }
    // libtest only counts; the stores' verdicts decide the exit status.
    let _counted = libtest_mimic::run(&args.harness, trials);
    progress.finish();
    let code = finish_all(&args, &sensors, started_ms, &contract);
    for sensor in sensors {
        if let Ok(prepared) = sensor.prepared {
            run::leave(prepared.context);
        }
    }
    code
}

/// The trials of every sensor of `file`, named as a run names them, to be listed.
pub(crate) fn list(args: &RunArgs, file: &Path, tests: &[Test]) -> Result<Vec<Trial>, Failure> {
    let entries = read(file, &|_| false)?;
    let parts = entries.iter().map(|entry| {
        let done: run::Done = Arc::new(|| {});
        run::Part {
            run: None,
            prefix: Some((entry.name.as_str(), done)),
            admission: None,
        }
    });
    Ok(run::trials(tests, parts.collect(), &args.harness))
}

/// The options that name one target's URL and tokens have no place in a fleet run: each
/// sensor's come from the targets file. A value that is only the environment's
/// (`SENSOR_URL`, `SENSOR_TOKEN`, `SENSOR_PCAP_TOKEN`) is left alone.
fn refuse_single_target_options(args: &RunArgs) -> Result<(), Failure> {
    let given = |value: &Option<String>, variable: &str| {
        value.is_some() && value.as_deref() != std::env::var(variable).ok().as_deref()
    };
    let options = [
        ("--url", given(&args.url, "SENSOR_URL")),
        ("--token", given(&args.token, "SENSOR_TOKEN")),
        ("--token-file", args.token_file.is_some()),
        ("--pcap-token", given(&args.pcap_token, "SENSOR_PCAP_TOKEN")),
        ("--pcap-token-file", args.pcap_token_file.is_some()),
    ];
    match options.iter().find(|(_, given)| *given) {
        Some((option, _)) => Err(Failure::Usage(format!(
            "with --targets, {option} has no place: each sensor's URL and tokens are in the \
             targets file"
        ))),
        None => Ok(()),
    }
}

fn refuse_single_report_files(reports: &ReportArgs) -> Result<(), Failure> {
    let single = [
        &reports.junit,
        &reports.json,
        &reports.html,
        &reports.summary,
    ];
    if single.iter().any(|f| f.is_some()) {
        return Err(Failure::Usage(
            "with --targets, reports go to --results-dir DIR (one directory per sensor)".into(),
        ));
    }
    Ok(())
}

/// Reads and checks the targets file; errors name its line and column. Listing needs no
/// token, so only a run checks that each token's variable is set.
/// The sensors of `file`; `needs_tokens` says, by name, whose token sources must be there.
fn read(file: &Path, needs_tokens: &dyn Fn(&str) -> bool) -> Result<Vec<Entry>, Failure> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Usage(format!("cannot read {name}: {e}")))?;
    let parsed: TargetsFile =
        serde_saphyr::from_str(&text).map_err(|e| ContractError::yaml(&name, &e))?;
    let mut entries: Vec<Entry> = Vec::new();
    for spanned in parsed.targets {
        let entry = spanned.value;
        let at = &spanned.referenced;
        if let Err(message) = check_entry(&entry, needs_tokens(&entry.name)) {
            return Err(ContractError::spanned(&name, at, message).into());
        }
        if entries.iter().any(|e| e.name == entry.name) {
            let message = format!("sensor name `{}` is used twice", entry.name);
            return Err(ContractError::spanned(&name, at, message).into());
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// What can be known of an entry before anything is sent; the error says what is wrong.
fn check_entry(entry: &Entry, needs_tokens: bool) -> Result<(), String> {
    let name = &entry.name;
    // A name is a directory under --results-dir: it starts with a letter or digit, so `.`
    // and `..` cannot lead out of it.
    let first = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !first
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(format!(
            "sensor name `{name}` must start with a letter or digit, then letters, digits, . _ or -"
        ));
    }
    if name.eq_ignore_ascii_case(MATRIX) {
        return Err(format!(
            "sensor name `{name}` is the matrix's file in --results-dir"
        ));
    }
    run::sensor_url(&entry.url).map_err(|why| format!("sensor {name}: url {why}"))?;
    match (&entry.token_env, &entry.token_file) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "sensor {name}: give token-env or token-file, not both"
            ));
        }
        (None, None) => return Err(format!("sensor {name}: needs token-env or token-file")),
        _ => {}
    }
    let variables = [&entry.token_env, &entry.pcap_token_env];
    for variable in variables.into_iter().flatten().filter(|_| needs_tokens) {
        if std::env::var_os(variable).is_none() {
            return Err(format!(
                "sensor {name}: environment variable {variable} is not set"
            ));
        }
    }
    if entry.api_version.is_some_and(|v| !(1..=2).contains(&v)) {
        return Err(format!("sensor {name}: api-version is 1 or 2"));
    }
    if entry.concurrency.is_some_and(|n| !(1..=256).contains(&n)) {
        return Err(format!("sensor {name}: concurrency is 1 to 256"));
    }
    if let Some(rps) = entry.max_rps {
        crate::cli::rate(&rps.to_string()).map_err(|e| format!("sensor {name}: max-rps {e}"))?;
    }
    Ok(())
}

/// The options of one sensor: the run's, with what its entry says in their place.
fn sensor_args(args: &RunArgs, entry: &Entry) -> Result<RunArgs, Failure> {
    let env = |variable: &Option<String>| -> Result<Option<String>, Failure> {
        let Some(variable) = variable else {
            return Ok(None);
        };
        let value = std::env::var(variable);
        value
            .map(Some)
            .map_err(|_| Failure::Usage(format!("{variable} is not set")))
    };
    let mut args = args.clone();
    args.targets = None;
    args.url = Some(entry.url.clone());
    args.token = env(&entry.token_env)?;
    args.token_file = entry.token_file.clone();
    args.pcap_token = env(&entry.pcap_token_env)?;
    args.pcap_token_file = entry.pcap_token_file.clone();
    args.pcap_alert_id = entry.pcap_alert_id.or(args.pcap_alert_id);
    // A sensor's own word wins over the command line's, either way.
    args.insecure = entry.insecure.unwrap_or(args.insecure);
    args.cacert = entry.cacert.clone().or(args.cacert);
    args.api_version = entry.api_version.unwrap_or(args.api_version);
    args.max_rps = entry.max_rps.or(args.max_rps);
    args.concurrency = entry.concurrency.or(args.concurrency);
    if let Some(dir) = &args.reports.results_dir {
        args.reports.results_dir = Some(dir.join(&entry.name));
    }
    Ok(args)
}

/// Reaches every sensor, a few at a time; one that cannot be reached does not stop the others.
fn prepare_all(
    args: &RunArgs,
    entries: &[Entry],
    runtime: &tokio::runtime::Runtime,
    contract: &Arc<Contract>,
) -> Vec<Sensor> {
    let mut sensors = Vec::new();
    for chunk in entries.chunks(PREPARED_AT_ONCE) {
        let prepared: Vec<Sensor> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|entry| scope.spawn(|| prepare_one(args, entry, runtime, contract)))
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        sensors.extend(prepared);
    }
    sensors
}

fn prepare_one(
    args: &RunArgs,
    entry: &Entry,
    runtime: &tokio::runtime::Runtime,
    contract: &Arc<Contract>,
) -> Sensor {
    let sensor_args = sensor_args(args, entry);
    let prepared = match &sensor_args {
        Ok(sensor_args) => {
            run::prepare(sensor_args, runtime, Arc::clone(contract)).map_err(in_file_terms)
        }
        Err(failure) => Err(Failure::Usage(failure.to_string())),
    };
    if let Err(failure) = &prepared {
        eprintln!("sensor-conformance: sensor {}: {failure}", entry.name);
    }
    Sensor {
        name: entry.name.clone(),
        args: sensor_args.unwrap_or_else(|_| args.clone()),
        prepared,
    }
}

/// A sensor's certificate advice in the words of the targets file, where its options are.
fn in_file_terms(failure: Failure) -> Failure {
    let reword = |message: String| {
        message
            .replace("--cacert FILE", "cacert: FILE")
            .replace("(--cacert)", "(cacert:)")
            .replace("with --insecure", "with insecure: true")
    };
    match failure {
        Failure::Unreachable(message) => Failure::Unreachable(reword(message)),
        Failure::Usage(message) => Failure::Usage(reword(message)),
        other => other,
    }
}

/// Writes each sensor's reports, prints the matrix, and gives the run's exit status.
fn finish_all(
    args: &RunArgs,
    sensors: &[Sensor],
    started_ms: i64,
    contract: &Contract,
) -> Result<u8, Failure> {
    let mut rows = Vec::new();
    let mut status = 0;
    for sensor in sensors {
        match &sensor.prepared {
            Ok(prepared) => {
                let records = run::finish(
                    &sensor.args,
                    prepared,
                    started_ms,
                    &sensor.args.reports,
                    false,
                )?;
                status = status.max(run::exit_status(&records, args.fail_on_inconclusive));
                rows.push((sensor.name.as_str(), Ok(records)));
            }
            Err(failure) => rows.push((sensor.name.as_str(), Err(failure.to_string()))),
        }
    }
    let matrix = matrix(&rows, contract);
    run::say(&args.harness, &matrix);
    let code = fleet_status(sensors, status);
    let line = format!("exit status {code}: {}\n", meaning(code, sensors));
    if let Some(dir) = &args.reports.results_dir {
        let file = dir.join(MATRIX);
        let text = format!("# Sensors by rule\n{matrix}\n{line}");
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&file, text))
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", file.display())))?;
    }
    run::say(&args.harness, &line);
    Ok(code)
}

/// The fleet's exit status in words.
fn meaning(code: u8, sensors: &[Sensor]) -> String {
    let not_reached = sensors.iter().filter(|s| s.prepared.is_err()).count();
    let plural = if sensors.len() == 1 { "" } else { "s" };
    match code {
        0 => format!("no test failed on {} sensor{plural}", sensors.len()),
        1 => "at least one test failed (see the matrix)".to_owned(),
        2 => "a sensor's options or token are wrong (see the lines above)".to_owned(),
        _ => format!(
            "{not_reached} of {} sensor{plural} could not be reached",
            sensors.len()
        ),
    }
}

/// 2 if a sensor's options or token were wrong, then 3 if one could not be reached, then the
/// tests' status.
fn fleet_status(sensors: &[Sensor], tests: u8) -> u8 {
    let code = |s: &Sensor| s.prepared.as_ref().err().map(Failure::exit_code);
    let codes: Vec<u8> = sensors.iter().filter_map(code).collect();
    if codes.contains(&2) {
        2
    } else if codes.contains(&3) {
        3
    } else {
        tests
    }
}

/// A Markdown table of sensors by rule: P pass, F fail, I inconclusive, - not applicable.
fn matrix(rows: &[(&str, Result<Vec<Record>, String>)], contract: &Contract) -> String {
    let ids: Vec<&str> = contract.rules.iter().map(|r| r.id.as_str()).collect();
    let mut out = format!("\n| sensor | {} | failed |\n|---|", ids.join(" | "));
    out.push_str(&"---|".repeat(ids.len() + 1));
    out.push('\n');
    for (name, records) in rows {
        let cells: Vec<String> = match records {
            Ok(records) => ids.iter().map(|id| cell(records, id).to_owned()).collect(),
            Err(_) => vec!["×".to_owned(); ids.len()],
        };
        let failed = match records {
            Ok(records) => records
                .iter()
                .filter(|r| r.outcome.verdict == Verdict::Fail)
                .count()
                .to_string(),
            Err(why) => cell_text(why),
        };
        out.push_str(&format!("| {name} | {} | {failed} |\n", cells.join(" | ")));
    }
    out.push_str("\nP pass, F fail, I inconclusive, - not applicable, · not run, × not reached\n");
    out
}

fn cell(records: &[Record], rule: &str) -> &'static str {
    let of: Vec<&Record> = records.iter().filter(|r| r.rule == rule).collect();
    match crate::report::rule_verdict(&of) {
        Some(Verdict::Pass) => "P",
        Some(Verdict::Fail) => "F",
        Some(Verdict::Inconclusive) => "I",
        Some(Verdict::NotApplicable) => "-",
        None => "·",
    }
}

/// Sensors and tests done, on stderr: one updated line on a terminal, a line per finished
/// sensor otherwise.
/// Why a sensor was not reached, short enough for a table cell (its whole line was printed
/// when it happened).
fn cell_text(why: &str) -> String {
    const LONGEST: usize = 80;
    let flat = why.replace('|', "\\|").replace('\n', " ");
    match flat.char_indices().nth(LONGEST) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// A sensor's place among those whose tests run at once (`--sensors-at-once`): its first test
/// to start takes one, and its last to be decided gives it up.
pub(crate) struct Admission {
    places: Arc<Semaphore>,
    admitted: tokio::sync::OnceCell<()>,
    place: Mutex<Option<OwnedSemaphorePermit>>,
    /// Its selected tests not decided yet.
    left: AtomicUsize,
    /// The sensor's context, to free its answers once it is done, when others wait.
    freed: Option<Arc<Context>>,
}

impl Admission {
    fn new(places: Arc<Semaphore>, tests: usize, freed: Option<Arc<Context>>) -> Self {
        Admission {
            places,
            admitted: tokio::sync::OnceCell::new(),
            place: Mutex::new(None),
            left: AtomicUsize::new(tests),
            freed,
        }
    }

    /// Waits until the sensor has a place.
    pub(crate) async fn enter(&self) {
        let take = || async {
            // The places are never closed: a refusal would only let the sensor in.
            let place = Arc::clone(&self.places).acquire_owned().await.ok();
            *self.place.lock().unwrap_or_else(PoisonError::into_inner) = place;
        };
        self.admitted.get_or_init(take).await;
    }

    /// Called as each of the sensor's tests is decided.
    fn decided(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        if let Some(context) = &self.freed {
            context.free_answers();
        }
        drop(
            self.place
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }
}

struct Progress {
    tty: bool,
    total: usize,
    done: AtomicUsize,
    /// Each sensor's name, how many of its tests the run selected, and how many are done.
    sensors: Vec<(String, usize, AtomicUsize)>,
    finished_sensors: AtomicUsize,
}

impl Progress {
    /// `tests` is how many tests of each sensor the run selected, in the order of `sensors`.
    fn new(sensors: &[&Sensor], tests: Vec<usize>) -> Self {
        let idle = tests.iter().filter(|&&n| n == 0).count();
        let reached: Vec<(String, usize, AtomicUsize)> = sensors
            .iter()
            .zip(tests)
            .map(|(s, n)| (s.name.clone(), n, AtomicUsize::new(0)))
            .collect();
        Progress {
            tty: std::io::stderr().is_terminal(),
            total: reached.iter().map(|(_, n, _)| n).sum(),
            done: AtomicUsize::new(0),
            sensors: reached,
            finished_sensors: AtomicUsize::new(idle),
        }
    }

    /// Called once per test as it finishes; `index` is the sensor's place in the fleet.
    fn done(&self, index: usize) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let Some((name, tests, count)) = self.sensors.get(index) else {
            return;
        };
        let finished = count.fetch_add(1, Ordering::Relaxed) + 1 == *tests;
        let sensors = self.finished_sensors.load(Ordering::Relaxed) + usize::from(finished);
        if finished {
            self.finished_sensors.fetch_add(1, Ordering::Relaxed);
        }
        if self.tty {
            eprint!(
                "\r\x1b[2Ksensors {sensors}/{} done, tests {done}/{}",
                self.sensors.len(),
                self.total
            );
        } else if finished {
            eprintln!(
                "sensor {name}: {tests} test{} done ({sensors}/{} sensors)",
                if *tests == 1 { "" } else { "s" },
                self.sensors.len()
            );
        }
    }

    fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}
