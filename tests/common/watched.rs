//! Running the binary under watch: a hard time limit (a run that outlives it is killed and the
//! test fails), how long it took, and the most memory it held.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How often the process is looked at.
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// A run that ended by itself.
pub struct Watched {
    pub output: Output,
    pub elapsed: Duration,
    /// The peak resident memory seen (`VmHWM`), in KiB.
    pub peak_kib: u64,
}

impl Watched {
    /// Stdout and stderr, as text.
    pub fn text(&self) -> String {
        super::text(&self.output)
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// The output, with the figures measured, for an assertion message.
    pub fn evidence(&self) -> String {
        format!(
            "exit {:?} after {:.1} s, peak {} MiB\n{}",
            self.code(),
            self.elapsed.as_secs_f64(),
            self.peak_kib / 1024,
            self.text()
        )
    }
}

/// Runs `command` to its end, killing it (and failing the test) if it takes longer than `limit`.
pub fn watch(mut command: Command, limit: Duration) -> Watched {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let mut peak_kib = 0;
    let status = loop {
        peak_kib = peak_kib.max(resident_peak_kib(child.id()).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run did not end within {limit:?}");
        }
        std::thread::sleep(LOOK_EVERY);
    };
    let elapsed = started.elapsed();
    let output = Output {
        status,
        stdout: stdout.join().expect("stdout read"),
        stderr: stderr.join().expect("stderr read"),
    };
    Watched {
        output,
        elapsed,
        peak_kib,
    }
}

/// Reads a pipe to its end on a thread of its own, so that a full pipe never blocks the child.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn resident_peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
