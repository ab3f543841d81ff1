//! Helpers shared by the integration tests: the binary, and reference sensors in processes of
//! their own on loopback.

#![allow(dead_code, reason = "each test file uses a part of the helpers")]

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
        let mut command = binary();
        command
            .args(["serve", "--tls", "--listen", "127.0.0.1:0"])
            .args(["--token", TOKEN, "--pcap-token", PCAP_TOKEN])
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
                .map(str::to_owned)
        })
        .collect()
}
