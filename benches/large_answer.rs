//! Large answers: `/api/v2/alerts` has no paging, so a busy sensor returns everything at once.
//! Fetches 200,000 alerts (about 110 MB) from the reference sensor and prints, side by side:
//! fetching alone, fetching and parsing into a `serde_json::Value`, and the harness's own
//! fetch-parse-check (every alert checked against its schema, summaries kept); then the same
//! without the network, and the peak memory of each in a process of its own.
//!
//! `cargo bench --bench large_answer` (set `ALERTS=N` for another size).

use sensor_conformance::contract::{Contract, Endpoint};
use sensor_conformance::sensor::{SensorConfig, start};
use sensor_conformance::target::{Memo, Profile, Reading, read_json};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;

fn main() {
    if let Some(mode) = std::env::args().nth(1).filter(|a| a.starts_with("child-")) {
        return child(&mode);
    }
    let alerts: usize = std::env::var("ALERTS")
        .ok()
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let body = runtime.block_on(fetch_figures(alerts));
    let path = std::env::temp_dir().join(format!("large-answer-{}.json", std::process::id()));
    std::fs::write(&path, &body).expect("body saved");
    offline_figures(&body);
    memory_figures(&path, body.len());
    validate_figures(&path);
    let _ = std::fs::remove_file(&path);
}

fn contract() -> Contract {
    Contract::builtin().expect("built-in contract")
}

fn reading(contract: &Contract, checked: bool) -> Reading<'_> {
    Reading {
        schema: if checked {
            contract.schemas.get("alerts-v2")
        } else {
            None
        },
        binary: false,
        profile: Profile::Strict,
        time_field: Endpoint::AlertsV2.time_field(),
    }
}

/// The best of a few rounds, in seconds.
fn best(mut round: impl FnMut()) -> f64 {
    (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            round();
            started.elapsed()
        })
        .min()
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
}

async fn fetch_figures(alerts: usize) -> Vec<u8> {
    let config = SensorConfig {
        tls: false,
        alerts,
        still: true,
        ..SensorConfig::default()
    };
    let token = config.token.clone();
    let sensor = start(config).await.expect("reference sensor");
    let url = format!("{}/api/v2/alerts", sensor.url());
    let client = reqwest::Client::new();
    let fetch = || async {
        let response = client
            .get(&url)
            .header("Authorization", &token)
            .send()
            .await;
        response
            .expect("answer")
            .bytes()
            .await
            .expect("body")
            .to_vec()
    };
    let body = fetch().await;
    let contract = contract();
    let mut rounds = [Duration::MAX; 3];
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let bytes = fetch().await;
        rounds[0] = rounds[0].min(started.elapsed());
        let started = Instant::now();
        let bytes2 = fetch().await;
        let _value: serde_json::Value = serde_json::from_slice(&bytes2).expect("JSON");
        // Measured before the Value is freed: the yardstick at its fastest. The figures
        // without the network free what they built inside the measure.
        rounds[1] = rounds[1].min(started.elapsed());
        let started = Instant::now();
        let bytes3 = fetch().await;
        let json =
            read_json(&bytes3, &reading(&contract, true), Some(&Memo::default())).expect("JSON");
        assert_eq!(json.schema_error_count, 0);
        rounds[2] = rounds[2].min(started.elapsed());
        drop(bytes);
    }
    let [fetch, parse, check] = rounds.map(|d| d.as_secs_f64());
    println!(
        "large answer: {alerts} alerts, {:.1} MB",
        body.len() as f64 / 1e6
    );
    println!("  fetch only                    {fetch:>7.3} s");
    println!("  fetch + parse to Value        {parse:>7.3} s");
    println!(
        "  fetch + parse + check (ours)  {check:>7.3} s   ratio to fetch + parse: {:.2}",
        check / parse
    );
    body
}

fn offline_figures(body: &[u8]) {
    let contract = contract();
    let parse = best(|| {
        let _value: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    });
    let read = best(|| {
        read_json(body, &reading(&contract, false), None).expect("JSON");
    });
    let check = best(|| {
        read_json(body, &reading(&contract, true), Some(&Memo::default())).expect("JSON");
    });
    println!("  without the network:");
    println!(
        "    parse to Value              {parse:>7.3} s  ({:.0} MB/s)",
        body.len() as f64 / 1e6 / parse
    );
    println!("    read, summaries only        {read:>7.3} s");
    println!(
        "    read + schema check (ours)  {check:>7.3} s   ratio to parse: {:.2}",
        check / parse
    );
}

/// Runs one way of reading in a process of its own and reports its peak resident memory.
fn memory_figures(path: &std::path::Path, body: usize) {
    println!(
        "  peak memory (whole process, body {:.1} MB):",
        body as f64 / 1e6
    );
    for mode in ["child-parse", "child-check"] {
        let output = std::process::Command::new(std::env::current_exe().expect("bench binary"))
            .args([mode, &path.display().to_string()])
            .output()
            .expect("child runs");
        let peak: f64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap_or(f64::NAN);
        println!(
            "    {:<26}  {:>7.1} MB  ({:.2} × the body)",
            &mode[6..],
            peak / 1e6,
            peak / body as f64
        );
    }
}

fn child(mode: &str) {
    let path = std::env::args().nth(2).expect("a path");
    let body = std::fs::read(path).expect("body");
    let contract = contract();
    if mode == "child-parse" {
        let value: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        std::hint::black_box(&value);
    } else {
        let json =
            read_json(&body, &reading(&contract, true), Some(&Memo::default())).expect("JSON");
        std::hint::black_box(&json);
    }
    println!("{}", peak_bytes());
}

/// The process's peak resident set (VmHWM), in bytes.
fn peak_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .unwrap_or("VmHWM: 0 kB");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    kb * 1024
}

/// `validate` on the saved body, against plain parsing in the same way (a whole process each).
fn validate_figures(path: &std::path::Path) {
    let binary = env!("CARGO_BIN_EXE_sensor-conformance");
    let time = |args: &[&str]| {
        best(|| {
            let status = std::process::Command::new(binary)
                .args(args)
                .output()
                .expect("runs")
                .status;
            assert!(status.success());
        })
    };
    let file = path.display().to_string();
    let validate = time(&["validate", "--schema", "alerts-v2", &file]);
    let parse = best(|| {
        let body = std::fs::read(path).expect("body");
        let _value: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    });
    println!(
        "  validate --schema alerts-v2   {validate:>7.3} s  (read + parse alone {parse:.3} s, ratio {:.2})",
        validate / parse
    );
}
