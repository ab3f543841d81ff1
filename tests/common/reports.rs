//! Runs that write every report, against reference sensors that hold canary tokens, and the
//! readers the report tests share: the counts a report states, the DOM a browser built.

use super::binary;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// A token that no file and no earlier run holds.
pub struct Canary {
    pub token: String,
    /// The random part, unchanged by any escaping a report format does.
    core: String,
}

impl Canary {
    /// A long random-looking token; `marks` are appended as written (characters that HTML,
    /// XML or JSON escape, so that an escaped copy of the token would still be found).
    pub fn new(kind: &str, marks: &str) -> Canary {
        let core: String = (0..3).map(|_| format!("{:016x}", random())).collect();
        Canary {
            token: format!("canary-{kind}-{core}{marks}"),
            core,
        }
    }

    /// What must appear nowhere: the token, its random part, and each half of that part (an
    /// excerpt cut short would keep one of them).
    pub fn needles(&self) -> Vec<String> {
        let half = self.core.len() / 2;
        vec![
            self.token.clone(),
            self.core.clone(),
            self.core[..half].to_owned(),
            self.core[half..].to_owned(),
        ]
    }
}

fn random() -> u64 {
    // Each RandomState has fresh keys: hashing nothing gives a new number every time.
    RandomState::new().build_hasher().finish()
}

/// A reference sensor process holding the given tokens, stopped when dropped.
pub type TokenSensor = super::Sensor;

/// A finished run that wrote every report twice: into a results directory, and through the
/// four single-file options.
pub struct ReportRun {
    pub output: Output,
    /// `--results-dir`.
    pub dir: PathBuf,
    /// `--junit`, `--json`, `--html` and `--summary`, each given a file of this directory.
    pub files: PathBuf,
}

impl ReportRun {
    /// Runs the suite against `sensor` with the API token in `SENSOR_TOKEN` and the pcap
    /// token in a file, writing every report; `extra` adds options and a filter.
    pub fn new(
        name: &str,
        sensor: &TokenSensor,
        (token, pcap_token): (&str, &str),
        extra: &[&str],
    ) -> ReportRun {
        let base = scratch(name);
        let (dir, files, secrets) = (base.join("results"), base.join("files"), base.join("in"));
        for d in [&files, &secrets] {
            std::fs::create_dir_all(d).expect("scratch directory");
        }
        let pcap_file = secrets.join("pcap.token");
        std::fs::write(&pcap_file, pcap_token).expect("token file");
        let file = |name: &str| files.join(name).display().to_string();
        let output = binary()
            .args(["run", "--url", &sensor.url, "--insecure"])
            .args(["--pcap-token-file", &pcap_file.display().to_string()])
            .args(["--results-dir", &dir.display().to_string()])
            .args([
                "--junit",
                &file("junit.xml"),
                "--json",
                &file("report.json"),
            ])
            .args([
                "--html",
                &file("report.html"),
                "--summary",
                &file("summary.md"),
            ])
            .args(extra)
            .env("SENSOR_TOKEN", token)
            .env_remove("SENSOR_PCAP_TOKEN")
            .env_remove("SENSOR_URL")
            .output()
            .expect("run starts");
        ReportRun { output, dir, files }
    }

    /// A report of the results directory, by its fixed name.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name))
            .unwrap_or_else(|e| panic!("no {name} ({e}):\n{}", super::text(&self.output)))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.read("report.json")).expect("the report is JSON")
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// How many tests libtest says it is running.
    pub fn tests_run(&self) -> usize {
        let stdout = self.stdout();
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("running ")?.strip_suffix(" tests"))
            .expect("libtest says how many tests run");
        line.parse().expect("a count")
    }
}

/// A fresh directory under the build's scratch space, named for its use; the next test run
/// replaces it, so that runs leave one copy to look at and no more.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("reports-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The names of a JSON report's tests with this verdict, sorted.
pub fn tests_with(report: &serde_json::Value, verdict: &str) -> Vec<String> {
    let mut names: Vec<String> = report["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .filter(|t| t["verdict"] == verdict)
        .map(|t| t["name"].as_str().expect("a name").to_owned())
        .collect();
    names.sort();
    names
}

/// Where Debian's chromium lives; the HTML test needs it.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM that headless Chromium builds from a local file, or why it could not.
pub fn dump_dom(file: &Path) -> Result<String, String> {
    if !Path::new(CHROMIUM).exists() {
        return Err(format!("{CHROMIUM} is absent (apt-get install chromium)"));
    }
    let profile = scratch("chromium-profile");
    let out = profile.join("dom.html");
    let mut child = std::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
        ])
        .args(["--no-first-run", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .stdout(std::fs::File::create(&out).map_err(|e| e.to_string())?)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {CHROMIUM}: {e}"))?;
    wait_bounded(&mut child, Duration::from_secs(90))?;
    std::fs::read_to_string(&out).map_err(|e| e.to_string())
}

/// Waits for a child, killing it past `limit`.
fn wait_bounded(child: &mut Child, limit: Duration) -> Result<(), String> {
    let started = Instant::now();
    while started.elapsed() < limit {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("chromium exited with {status}")),
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(e.to_string()),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!(
        "chromium did not finish within {} s",
        limit.as_secs()
    ))
}

/// The text of the element with this id in serialized HTML (elements holding only text).
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    Some(rest[start..end].to_owned())
}

/// The number an element shows, by its id.
pub fn number_of(html: &str, id: &str) -> Option<u64> {
    text_of(html, id)?.trim().parse().ok()
}
