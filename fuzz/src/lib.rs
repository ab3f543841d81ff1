//! What each fuzz target does with one input. The main crate's `tests/fuzz_corpus.rs` includes
//! this file and replays the committed corpus through the same functions, so what the fuzzers
//! found stays fixed where no fuzzer runs.
//!
//! Beyond "no panic", each function holds the promises its input's reader makes: an error says
//! where it is, one line long; a summary agrees with itself.

use sensor_conformance::check::check_capture;
use sensor_conformance::contract::{Contract, ContractError};
use sensor_conformance::target::{Json, JsonShape, Memo, Profile, Reading, read_json};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Schema errors a body keeps described; the rest are only counted.
const ERRORS_KEPT: usize = 20;

/// Loads `data` as the only case file of a cases directory, and expands what loads.
pub fn case_file(data: &[u8]) {
    let dir = scratch_dir();
    std::fs::write(dir.join("fuzzed.yaml"), data).expect("the scratch directory is writable");
    match Contract::load(Some(&dir), None) {
        Ok(contract) => {
            let _tests = sensor_conformance::suite::expand(&contract);
        }
        Err(error) => assert_placed(&error),
    }
}

/// A contract error names its file (and a place in it), on one line.
fn assert_placed(error: &ContractError) {
    let text = error.to_string();
    assert!(!text.contains('\n'), "more than one line: {text:?}");
    match error {
        ContractError::At {
            file, line, column, ..
        } => {
            assert!(file.ends_with("fuzzed.yaml"), "{text}");
            assert!(*line >= 1 && *column >= 1, "{text}");
        }
        // Text that is not UTF-8 cannot be read as YAML at all.
        ContractError::Read { path, .. } => assert!(path.ends_with("fuzzed.yaml"), "{text}"),
    }
}

/// A directory of this process and thread, for the case file under test.
fn scratch_dir() -> PathBuf {
    thread_local! {
        static DIR: PathBuf = {
            let name = format!(
                "sensor-conformance-fuzz-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            );
            let dir = std::env::temp_dir().join(name.replace(['(', ')'], ""));
            std::fs::create_dir_all(&dir).expect("a scratch directory");
            dir
        };
    }
    DIR.with(PathBuf::clone)
}

/// Reads `data` as a body with no schema and with each schema, in both profiles; read through
/// a memo, first and again, it reads the same.
pub fn response_body(data: &[u8]) {
    let contract = builtin();
    let schemas = contract
        .schemas
        .names()
        .map(|name| (name, contract.schemas.get(name)));
    for (name, schema) in std::iter::once(("none", None)).chain(schemas) {
        for profile in [Profile::Strict, Profile::Lenient] {
            let reading = Reading {
                schema,
                binary: false,
                profile,
                time_field: time_field(name),
            };
            let read = read_json(data, &reading, None);
            match &read {
                Ok(json) => assert_consistent(json),
                Err(why) => {
                    assert!(why.starts_with("invalid JSON at line "), "{why}");
                    assert!(!why.contains('\n'), "more than one line: {why:?}");
                }
            }
            let memo = Memo::default();
            for _ in 0..2 {
                let remembered = read_json(data, &reading, Some(&memo));
                assert_eq!(format!("{read:?}"), format!("{remembered:?}"));
                let whole = memo.read_now(&mut bytes::Bytes::copy_from_slice(data), &reading);
                assert_eq!(format!("{read:?}"), format!("{whole:?}"));
            }
        }
    }
}

/// The field that holds an item's time in bodies of schema `name`.
fn time_field(name: &str) -> &'static str {
    if name == "events" {
        "timestamp"
    } else {
        "time"
    }
}

/// A summary agrees with itself: a list's length with its items, kept errors with the count.
fn assert_consistent(json: &Json) {
    if let JsonShape::List(n) = json.shape {
        assert_eq!(json.items.len(), n);
    }
    assert!(json.schema_errors.len() <= json.schema_error_count);
    assert!(json.schema_errors.len() <= ERRORS_KEPT);
    assert_eq!(json.object.is_some(), json.shape == JsonShape::Object);
}

/// Checks `data` as a capture file.
pub fn capture_file(data: &[u8]) {
    match check_capture(data) {
        Ok(what) => assert!(what.starts_with("a pcap"), "{what}"),
        Err(why) => assert!(!why.is_empty() && !why.contains('\n'), "{why:?}"),
    }
}

/// The built-in contract, loaded once.
fn builtin() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::builtin().expect("the built-in contract loads"))
}
