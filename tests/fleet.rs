//! `run --targets FILE`: many sensors in one run, named, reported and summarised apart.

mod common;

use common::{PCAP_TOKEN, Scratch, Sensor, TOKEN, binary, failed_tests, text};

/// `run --targets file` with `args`, the fleet's tokens in the environment.
fn run_fleet(file: &str, args: &[&str]) -> std::process::Output {
    binary()
        .args(["run", "--targets", file])
        .args(args)
        .env("FLEET_TOKEN", TOKEN)
        .env("FLEET_PCAP_TOKEN", PCAP_TOKEN)
        .output()
        .unwrap()
}

fn targets_file(scratch: &Scratch, sensors: &[(&str, &Sensor)]) -> String {
    let mut yaml = String::from("targets:\n");
    for (name, sensor) in sensors {
        yaml.push_str(&format!(
            "  - name: {name}\n    url: {}\n    token-env: FLEET_TOKEN\n    \
             pcap-token-env: FLEET_PCAP_TOKEN\n    insecure: true\n",
            sensor.url
        ));
    }
    let path = scratch.path("targets.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

#[test]
fn each_sensor_is_checked_and_reported_apart() {
    let (good, bad) = (
        Sensor::start(&[]),
        Sensor::start(&["--fault", "A6-accept-any-state"]),
    );
    let scratch = Scratch::new("fleet");
    let file = targets_file(&scratch, &[("plant-a", &good), ("plant-b", &bad)]);
    let results = scratch.path("results");
    let output = run_fleet(&file, &["--results-dir", &results, "::A6::"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let failed = failed_tests(&output);
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|t| t.starts_with("plant-b::")),
        "{failed:?}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap()
            .to_owned()
    };
    assert!(row("plant-b").contains("| F |"), "{stdout}");
    assert!(!row("plant-a").contains("| F |"), "{stdout}");
    for name in ["plant-a", "plant-b"] {
        assert!(
            std::path::Path::new(&results)
                .join(name)
                .join("report.json")
                .exists()
        );
    }
    let matrix = std::fs::read_to_string(std::path::Path::new(&results).join("matrix.md")).unwrap();
    assert!(matrix.starts_with("# Sensors by rule\n"), "{matrix}");
    assert!(
        matrix
            .trim_end()
            .ends_with("exit status 1: at least one test failed (see the matrix)"),
        "{matrix}"
    );
}

#[test]
fn an_unreachable_sensor_does_not_stop_the_others() {
    let good = Sensor::start(&[]);
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        )
    };
    let scratch = Scratch::new("fleet-dead");
    let file = targets_file(&scratch, &[("plant-a", &good)]);
    let mut yaml = std::fs::read_to_string(&file).unwrap();
    yaml.push_str(&format!(
        "  - name: gone\n    url: {dead}\n    token-env: FLEET_TOKEN\n"
    ));
    std::fs::write(&file, yaml).unwrap();
    let output = run_fleet(&file, &["::A1::"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("plant-a::alerts-v1::A1::list ... ok")
    );
    assert!(text(&output).contains("sensor gone:"));
}

#[test]
fn a_bad_targets_file_is_placed() {
    let scratch = Scratch::new("fleet-bad");
    let file = scratch.path("targets.yaml");
    std::fs::write(
        &file,
        "targets:\n  - name: a\n    url: https://127.0.0.1:1\n    tokn: x\n",
    )
    .unwrap();
    let output = binary().args(["run", "--targets", &file]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("targets.yaml:4:5: unknown field `tokn`"),
        "{}",
        text(&output)
    );
}

/// What a sensor's entry says is checked when the file loads, with its place: a URL that could
/// not name a sensor, a bound outside the command line's, a name the matrix needs.
#[test]
fn a_bad_entry_is_placed_before_any_sensor_is_reached() {
    let scratch = Scratch::new("fleet-bad-entries");
    let file = scratch.path("targets.yaml");
    for (entry, message) in [
        (
            "url: ftp://127.0.0.1:1",
            "expected an http or https URL with a host",
        ),
        (
            "url: https://u:p@127.0.0.1:1",
            "url must not carry credentials",
        ),
        (
            "url: https://127.0.0.1:1\n    concurrency: 0",
            "concurrency is 1 to 256",
        ),
        (
            "url: https://127.0.0.1:1\n    concurrency: 1000",
            "concurrency is 1 to 256",
        ),
    ] {
        let yaml = format!("targets:\n  - name: a\n    {entry}\n    token-env: T\n");
        std::fs::write(&file, yaml).unwrap();
        let output = binary()
            .args(["run", "--targets", &file])
            .env("T", TOKEN)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let expected = "targets.yaml:2:5: sensor a: ";
        assert!(text(&output).contains(expected), "{}", text(&output));
        assert!(text(&output).contains(message), "{}", text(&output));
    }
    let yaml = "targets:\n  - name: matrix.md\n    url: https://127.0.0.1:1\n    token-env: T\n";
    std::fs::write(&file, yaml).unwrap();
    let output = binary().args(["run", "--targets", &file]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("is the matrix's file"),
        "{}",
        text(&output)
    );
}

/// A sensor's `insecure: false` holds against `--insecure` on the command line.
#[test]
fn a_sensors_own_insecure_wins() {
    let sensor = Sensor::start(&[]);
    let scratch = Scratch::new("fleet-secure");
    let file = targets_file(&scratch, &[("strict-tls", &sensor)]);
    let yaml = std::fs::read_to_string(&file)
        .unwrap()
        .replace("insecure: true", "insecure: false");
    std::fs::write(&file, yaml).unwrap();
    let output = run_fleet(&file, &["--insecure", "::A1::"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        text(&output).contains("sensor strict-tls:"),
        "{}",
        text(&output)
    );
    // The advice names the targets file's keys, where this sensor's options are.
    assert!(
        text(&output).contains("cacert: FILE, or accept any certificate with insecure: true"),
        "{}",
        text(&output)
    );
}

/// Listing a fleet names its tests as a run does, and needs neither network nor token.
#[test]
fn a_fleet_lists_its_tests_by_sensor_without_tokens() {
    let scratch = Scratch::new("fleet-list");
    let file = scratch.path("targets.yaml");
    let entry = |name: &str| {
        format!("  - name: {name}\n    url: https://192.0.2.1\n    token-env: FLEET_UNSET_TOKEN\n")
    };
    std::fs::write(&file, format!("targets:\n{}{}", entry("a"), entry("b"))).unwrap();
    let output = binary()
        .args(["run", "--targets", &file, "--list", "b::events::E8::"])
        .env_remove("FLEET_UNSET_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let listed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(listed, "b::events::E8::identical-request-cached: test\n");
}

/// A filter by sensor counts and reports only that sensor's tests; one that leaves no test of
/// any sensor is refused before a request is sent.
#[test]
fn a_filter_by_sensor_counts_that_sensors_tests() {
    let (a, b) = (Sensor::start(&[]), Sensor::start(&[]));
    let scratch = Scratch::new("fleet-filter");
    let file = targets_file(&scratch, &[("plant-a", &a), ("plant-b", &b)]);
    let fleet = |filter: &str| run_fleet(&file, &[filter]);
    let output = fleet("plant-b::alerts-v1::A6::");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let listed = binary()
        .args([
            "run",
            "--targets",
            &file,
            "--list",
            "plant-b::alerts-v1::A6::",
        ])
        .output()
        .unwrap();
    let count = String::from_utf8_lossy(&listed.stdout).lines().count();
    assert!(count > 1);
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(
        progress.contains(&format!("sensor plant-b: {count} tests done (1/1 sensors)")),
        "{progress}"
    );
    assert!(!progress.contains("sensor plant-a"), "{progress}");
    let none = fleet("no-such-sensor::");
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(
        text(&none).contains("no test is selected"),
        "{}",
        text(&none)
    );
}

/// With one place, the sensors' tests run one sensor after another, and each still passes.
#[test]
fn sensors_wait_for_a_place() {
    let sensors = [Sensor::start(&[]), Sensor::start(&[]), Sensor::start(&[])];
    let scratch = Scratch::new("fleet-places");
    let named: Vec<(String, &Sensor)> = sensors
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("plant-{i}"), s))
        .collect();
    let pairs: Vec<(&str, &Sensor)> = named.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    let file = targets_file(&scratch, &pairs);
    let results = scratch.path("results");
    let output = run_fleet(
        &file,
        &[
            "--results-dir",
            &results,
            "--sensors-at-once",
            "1",
            "::alerts-v1::A6::",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let mut spans: Vec<(i64, i64)> = named
        .iter()
        .map(|(name, _)| {
            let path = std::path::Path::new(&results)
                .join(name)
                .join("report.json");
            let report: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let requests: Vec<(i64, i64)> = report["tests"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|t| t["requests"].as_array().unwrap().clone())
                .map(|r| {
                    let sent = r["sent"].as_str().unwrap();
                    let at = report_ms(sent);
                    (at, at + r["durationMs"].as_i64().unwrap())
                })
                .collect();
            assert!(!requests.is_empty(), "{name}");
            let first = requests.iter().map(|r| r.0).min().unwrap();
            let last = requests.iter().map(|r| r.1).max().unwrap();
            (first, last)
        })
        .collect();
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "sensors overlapped: {spans:?}");
    }
}

/// Milliseconds of an RFC 3339 time as the reports write it (`2026-12-04T19:59:48.052Z`), for
/// comparing times of one run (the day is enough of the date).
fn report_ms(text: &str) -> i64 {
    let (date, time) = text.trim_end_matches('Z').split_once('T').unwrap();
    let day: i64 = date.rsplit('-').next().unwrap().parse().unwrap();
    let mut parts = time.split([':', '.']).map(|p| p.parse::<i64>().unwrap());
    let (h, m, s, ms) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap_or(0),
    );
    (((day * 24 + h) * 60 + m) * 60 + s) * 1000 + ms
}

/// A sensor that a filter leaves no test of is neither reached nor asked for its token, and
/// the options of a single target are refused.
#[test]
fn a_filtered_out_sensor_is_not_reached() {
    let good = Sensor::start(&[]);
    let scratch = Scratch::new("fleet-filtered-out");
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let file = scratch.path("targets.yaml");
    let yaml = format!(
        "targets:\n  - name: plant-a\n    url: {}\n    token-env: FLEET_TOKEN\n    \
         insecure: true\n  - name: plant-dead\n    url: https://127.0.0.1:{dead}\n    \
         token-env: FLEET_UNSET_TOKEN\n",
        good.url
    );
    std::fs::write(&file, yaml).unwrap();
    let fleet = |extra: &[&str]| {
        binary()
            .args(["run", "--targets", &file])
            .args(extra)
            .env("FLEET_TOKEN", TOKEN)
            .env_remove("FLEET_UNSET_TOKEN")
            .env_remove("SENSOR_TOKEN")
            .output()
            .unwrap()
    };
    let output = fleet(&["plant-a::alerts-v1::A6::"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!text(&output).contains("plant-dead"), "{}", text(&output));
    let refused = fleet(&["--token", "x", "plant-a::alerts-v1::A6::"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("--token has no place"),
        "{}",
        text(&refused)
    );
}
