//! Helpers shared by the integration tests: the binary, and reference sensors in processes of
//! their own on loopback.

#![allow(dead_code, reason = "each test file uses a part of the helpers")]

pub mod hostile;
pub mod pki;
pub mod proxy;
pub mod reports;
pub mod watched;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

pub const TOKEN: &str = "canary-api-token-5f0c2b";
pub const PCAP_TOKEN: &str = "canary-pcap-token-9d41e7";

/// The binary under test.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sensor-conformance"))
}

/// A reference sensor process, stopped when dropped.
pub struct Sensor {
    child: Child,
    pub url: String,
}

impl Sensor {
    /// Starts `serve --tls` on a free loopback port with the canary tokens and `extra` options.
    pub fn start(extra: &[&str]) -> Sensor {
        Sensor::with_tokens(TOKEN, PCAP_TOKEN, extra)
    }

    /// Starts `serve --tls` on a free loopback port with these tokens and `extra` options.
    pub fn with_tokens(token: &str, pcap_token: &str, extra: &[&str]) -> Sensor {
        let mut command = binary();
        command
            .args(["serve", "--tls", "--listen", "127.0.0.1:0"])
            .args(["--token", token, "--pcap-token", pcap_token])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("serve prints a line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("serve printed {line:?}"))
            .to_owned();
        Sensor { child, url }
    }

    /// Runs the suite against this sensor with the canary tokens and `extra` arguments.
    pub fn run(&self, extra: &[&str]) -> Output {
        binary()
            .args(["run", "--url", &self.url, "--insecure"])
            .args(["--token", TOKEN, "--pcap-token", PCAP_TOKEN])
            .args(extra)
            .output()
            .expect("run starts")
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stdout and stderr of a finished command, as text.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The names of the tests libtest reported as failed.
pub fn failed_tests(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| {
            l.strip_prefix("test ")?
                .strip_suffix(" ... FAILED")
                .map(|name| name.trim_end().to_owned())
        })
        .collect()
}

/// A scratch directory of this test process, removed when dropped.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("sensor-conformance-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> String {
        self.0.join(file).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the suite against `sensor` writing the JSON report, and returns it with the output.
pub fn run_with_report(sensor: &Sensor, name: &str, extra: &[&str]) -> (Output, serde_json::Value) {
    let scratch = Scratch::new(name);
    let report = scratch.path("report.json");
    let mut args = vec!["--json", report.as_str()];
    args.extend_from_slice(extra);
    let output = sensor.run(&args);
    let text = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no report ({e}): {}", self::text(&output)));
    (
        output,
        serde_json::from_str(&text).expect("the report is JSON"),
    )
}

/// The verdict of each test in a JSON report, by name.
pub fn verdicts(report: &serde_json::Value) -> Vec<(String, String)> {
    report["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
