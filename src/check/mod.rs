//! Deciding checks: each looks at answers already received and finds that the check holds,
//! fails, or cannot be decided on this data.

mod capture;
mod relation;
mod single;

pub use capture::check as check_capture;
pub use relation::relation;
pub use single::single;

use crate::contract::{EventTitles, Schemas, Template};
use crate::target::{Clock, Memo, Profile};

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Holds,
    /// Holds, and this is what was seen (for observe rules and reports).
    Observed(String),
    /// Does not hold: what was expected and what came.
    Fails(String),
    /// Cannot be decided on this data, and why.
    Undecided(String),
}

/// What a check may consult besides the answers.
pub struct Env<'a> {
    pub schemas: &'a Schemas,
    pub titles: &'a EventTitles,
    pub clock: Clock,
    pub profile: Profile,
    pub time_field: &'static str,
    /// How old an answer may be because the target cached it (events only).
    pub cache_allowance_ms: i64,
    /// Fills in a template of a check (a value, a time).
    pub resolve: &'a dyn Fn(&Template) -> Result<String, String>,
    /// The items the run has read, for a body read again against another schema.
    pub memo: &'a Memo,
}

impl Env<'_> {
    /// How far a time may stray from a window's edge and still count as inside it.
    fn slack_ms(&self) -> i64 {
        self.clock.uncertainty_ms + self.cache_allowance_ms + 1_000
    }
}
