//! Replays the committed fuzz corpus through the very functions the fuzz targets call, so that
//! every seed, and every input a fuzzer found and was fixed for, is checked where no fuzzer
//! runs.

#[path = "../fuzz/src/lib.rs"]
mod inputs;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// The corpus files of `target`, in name order.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every corpus file of `target` through `input`, and names each that panicked.
fn replay(target: &str, input: fn(&[u8])) {
    let files = corpus(target);
    assert!(!files.is_empty(), "no corpus for {target}");
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| input(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "inputs that fail: {failed:#?}");
}

#[test]
fn case_file_corpus_loads_or_is_refused_with_its_place() {
    replay("case_file", inputs::case_file);
}

#[test]
fn response_body_corpus_is_read_or_refused_with_its_place() {
    replay("response_body", inputs::response_body);
}

#[test]
fn capture_file_corpus_is_checked() {
    replay("capture_file", inputs::capture_file);
}
