//! Reports: pure functions of the run's records and what is known of the run. Each returns
//! text; the caller redacts it and decides where it goes.

mod console;
mod evidence;
mod html;
mod json;
mod junit;
mod markdown;
mod tally;

pub use console::{emit, rules, summary};
pub use evidence::{curl, duration, evidence, headline, rfc3339};
pub use html::html;
pub use json::{FORMAT_VERSION, json};
pub use junit::junit;
pub use markdown::markdown;
pub use tally::{
    Counts, Exit, VERDICTS, by_endpoint, by_rule, inconclusive_reasons, plural, rule_verdict,
    warnings, with_verdict,
};

use crate::contract::Rule;
use crate::target::Clock;

/// What a report says of the run besides its tests.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub tool_version: &'static str,
    /// The target's URL, without credentials.
    pub target: String,
    /// The run started its own reference sensor.
    pub builtin: bool,
    pub profile: &'static str,
    pub api_version: u8,
    pub strict: bool,
    pub fail_on_inconclusive: bool,
    /// Epoch milliseconds, by our clock.
    pub started_ms: i64,
    pub finished_ms: i64,
    /// The sensor's clock against ours.
    pub clock: Clock,
    /// The whole catalogue, so that reports show the rules none of whose tests ran.
    pub rules: Vec<Rule>,
}

impl RunInfo {
    /// The target as people read it: its URL, and whether it is the built-in sensor.
    pub fn target_described(&self) -> String {
        if self.builtin {
            format!("{} (built-in reference sensor)", self.target)
        } else {
            self.target.clone()
        }
    }
}
