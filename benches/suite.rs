//! The whole suite, start-up, and fleets, measured as a user runs them (whole processes of the
//! release binary against reference sensors on loopback), each next to its yardstick:
//! - harness overhead: the suite against replaying the very requests it sent with a bare
//!   HTTP client at the same concurrency, each against a fresh sensor, on bare loopback and
//!   with the sensor waiting 1, 5 and 20 ms before each answer, as across a network;
//! - start-up: `run --list`, which touches no network;
//! - fleets: 50 sensors in one run against one.
//!
//! `cargo bench --bench suite` (`-- overhead`, `-- startup` or `-- fleet` for one part;
//! `FLEET=N` for another fleet size).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_sensor-conformance");
const TOKEN: &str = "bench-api-token-1f7c";
const PCAP_TOKEN: &str = "bench-pcap-token-8a2d";
/// Tests that wait on purpose for the timeline to move; they measure the sensor, not us.
const WAITING: [&str; 4] = ["--skip", "::E8::", "--skip", "::E9::"];

struct Sensor {
    child: Child,
    url: String,
}

impl Sensor {
    fn start() -> Sensor {
        Sensor::with_latency(0)
    }

    /// A sensor that waits `latency` milliseconds before each answer.
    fn with_latency(latency: u64) -> Sensor {
        let mut child = Command::new(BINARY)
            .args([
                "serve",
                "--tls",
                "--listen",
                "127.0.0.1:0",
                "--token",
                TOKEN,
            ])
            .args(["--pcap-token", PCAP_TOKEN])
            .args(["--latency", &latency.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("line");
        let url = line.trim().trim_start_matches("listening on ").to_owned();
        Sensor { child, url }
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn seconds(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

/// Set in the environment of this benchmark started again as a bare replay.
const REPLAY: &str = "BENCH_REPLAY";
const REPLAY_PARSE: &str = "BENCH_REPLAY_PARSE";

fn main() {
    if let Ok(file) = std::env::var(REPLAY) {
        return replay_process(&file);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    // `cargo bench --bench suite -- fleet` runs one part.
    let part = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| part.as_deref().is_none_or(|p| p == name);
    if wanted("overhead") {
        overhead();
    }
    if wanted("startup") {
        startup();
    }
    if wanted("fleet") {
        fleet();
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("bench-{name}-{}", std::process::id()))
}

/// Runs the suite against a fresh sensor; returns its time and the requests it sent.
fn suite_once(latency: u64) -> (f64, Vec<(String, String)>) {
    let sensor = Sensor::with_latency(latency);
    let report = scratch("report.json");
    let started = Instant::now();
    let output = Command::new(BINARY)
        .args(["run", "--url", &sensor.url, "--insecure", "--token", TOKEN])
        .args([
            "--pcap-token",
            PCAP_TOKEN,
            "--json",
            &report.display().to_string(),
        ])
        .args(WAITING)
        .output()
        .expect("run");
    let elapsed = seconds(started);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let text = std::fs::read_to_string(&report).expect("report");
    let _ = std::fs::remove_file(&report);
    (
        elapsed,
        sent_requests(&serde_json::from_str(&text).expect("JSON")),
    )
}

/// The requests the run sent: tests that shared an answer list the same exchange.
fn sent_requests(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut seen = std::collections::BTreeSet::new();
    let mut sent = Vec::new();
    for test in report["tests"].as_array().expect("tests") {
        for request in test["requests"].as_array().expect("requests") {
            let key = (
                request["url"].to_string(),
                request["credential"].to_string(),
                request["sent"].to_string(),
            );
            if seen.insert(key) {
                let url = request["url"].as_str().unwrap_or_default().to_owned();
                sent.push((
                    url,
                    request["credential"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ));
            }
        }
    }
    sent
}

/// Replays `requests` as a whole process, as the suite runs: this benchmark started again in
/// replay mode, with a bare client, eight in flight, against a fresh sensor; with `parse`, each
/// JSON body is also parsed into a `serde_json::Value`. Returns the process's time.
fn replay(requests: &[(String, String)], parse: bool, latency: u64) -> f64 {
    let sensor = Sensor::with_latency(latency);
    let base = reqwest::Url::parse(&requests[0].0).expect("URL");
    let target = reqwest::Url::parse(&sensor.url).expect("URL");
    let (from, to) = (
        base.origin().ascii_serialization(),
        target.origin().ascii_serialization(),
    );
    let list: String = requests
        .iter()
        .map(|(url, credential)| format!("{credential}\t{}\n", url.replace(&from, &to)))
        .collect();
    let file = scratch("replay.tsv");
    std::fs::write(&file, list).expect("replay list");
    let started = Instant::now();
    let status = Command::new(std::env::current_exe().expect("this benchmark"))
        .env(REPLAY, &file)
        .env(REPLAY_PARSE, if parse { "1" } else { "0" })
        .status()
        .expect("replay");
    let elapsed = seconds(started);
    let _ = std::fs::remove_file(&file);
    assert!(status.success(), "the replay failed");
    elapsed
}

/// Replay mode: sends the requests listed in the file `REPLAY` names, then exits.
fn replay_process(file: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let parse = std::env::var(REPLAY_PARSE).is_ok_and(|v| v == "1");
    let list = std::fs::read_to_string(file).expect("replay list");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .build()
            .expect("client");
        let gate = Arc::new(tokio::sync::Semaphore::new(8));
        let mut tasks = Vec::new();
        for line in list.lines() {
            let (credential, url) = line.split_once('\t').expect("credential and URL");
            let (client, gate) = (client.clone(), Arc::clone(&gate));
            let (credential, url) = (credential.to_owned(), url.to_owned());
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire().await.expect("permit");
                let mut request = client.get(&url);
                match credential.as_str() {
                    "api" => request = request.header("Authorization", TOKEN),
                    "pcap" => request = request.header("Authorization", PCAP_TOKEN),
                    "wrong" => request = request.header("Authorization", "wrong"),
                    _ => {}
                }
                let response = request.send().await.expect("answer");
                let body = response.bytes().await.expect("body");
                if parse {
                    let value = serde_json::from_slice::<serde_json::Value>(&body).ok();
                    std::hint::black_box(value);
                }
                body.len()
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
    });
}

/// Per-answer latencies the overhead is measured at: none (loopback, where only CPU counts),
/// then as across a fast and a slower network.
const LATENCIES_MS: [u64; 4] = [0, 1, 5, 20];

fn overhead() {
    println!("harness overhead (E8/E9 waits skipped; whole processes; best of 5):");
    println!("  latency   suite    bare replay  ratio   replay + parse to Value  ratio");
    for latency in LATENCIES_MS {
        let (mut suite, mut bare, mut parsed, mut count) = (f64::MAX, f64::MAX, f64::MAX, 0);
        for _ in 0..5 {
            let (elapsed, requests) = suite_once(latency);
            suite = suite.min(elapsed);
            bare = bare.min(replay(&requests, false, latency));
            parsed = parsed.min(replay(&requests, true, latency));
            count = requests.len();
        }
        println!(
            "  {latency:>4} ms  {suite:>7.3} s  {bare:>7.3} s    {:>5.2}   {parsed:>7.3} s                {:>5.2}   ({count} requests, 8 in flight)",
            suite / bare,
            suite / parsed
        );
    }
}

fn startup() {
    let mut best = Duration::MAX;
    for _ in 0..10 {
        let started = Instant::now();
        let output = Command::new(BINARY)
            .args(["run", "--list"])
            .output()
            .expect("list");
        assert!(output.status.success());
        best = best.min(started.elapsed());
    }
    println!(
        "start-up: run --list        {:>7.1} ms (best of 10)",
        best.as_secs_f64() * 1000.0
    );
}

fn fleet_run(sensors: &[Sensor]) -> f64 {
    let file = scratch("targets.yaml");
    let mut yaml = String::from("targets:\n");
    for (index, sensor) in sensors.iter().enumerate() {
        yaml.push_str(&format!(
            "  - name: s{index}\n    url: {}\n    token-env: BENCH_TOKEN\n    pcap-token-env: BENCH_PCAP\n    insecure: true\n",
            sensor.url
        ));
    }
    std::fs::write(&file, yaml).expect("targets file");
    let started = Instant::now();
    let output = Command::new(BINARY)
        .args([
            "run",
            "--targets",
            &file.display().to_string(),
            "--format",
            "terse",
        ])
        .env("BENCH_TOKEN", TOKEN)
        .env("BENCH_PCAP", PCAP_TOKEN)
        .output()
        .expect("run");
    let elapsed = seconds(started);
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    elapsed
}

fn fleet() {
    let size: usize = std::env::var("FLEET")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    // Tests that wait for a sensor's timeline end on one of its ticks: a run lands on one tick
    // or the next, so each side is run several times and both ends shown. Each run gets fresh
    // sensors: a sensor caches events answers, and a run started within ten seconds of the
    // last one sends some of the same fresh values, so it would meet the last run's answers.
    let (mut one, mut many) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        one.push(fleet_run(&[Sensor::start()]));
        let sensors: Vec<Sensor> = (0..size).map(|_| Sensor::start()).collect();
        many.push(fleet_run(&sensors));
    }
    let range = |times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        (times[0], times[times.len() - 1])
    };
    let ((one_best, one_worst), (many_best, many_worst)) = (range(&mut one), range(&mut many));
    println!("fleet, whole suite per sensor (best and worst of 5):");
    println!("  1 sensor                   {one_best:>7.3} s  {one_worst:>7.3} s");
    println!(
        "  {size} sensors                 {many_best:>7.3} s  {many_worst:>7.3} s   ratio {:.2} (best), {:.2} (worst)",
        many_best / one_best,
        many_worst / one_worst
    );
}
