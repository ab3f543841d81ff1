//! The suite: tests expanded from the cases, run against a target, each leaving a verdict.

mod context;
mod expand;
mod runner;
mod verdict;

pub use context::{Context, Resolved, RunOptions};
pub use expand::{Test, expand};
pub use runner::run_test;
pub use verdict::{Outcome, Record, Redactor, Store, Verdict};
