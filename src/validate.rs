//! The `validate` command: check bodies saved from a sensor against a schema, offline.

use crate::cli::{Failure, ValidateArgs};
use crate::contract::Contract;
use crate::contract::Endpoint;
use crate::target::{JsonShape, Reading, read_json};
use std::io::Read;
use std::path::Path;

/// Validates every file; 0 when all are valid, 1 when one is not.
pub fn validate(args: &ValidateArgs) -> Result<u8, Failure> {
    let contract = Contract::load(
        args.contract.cases.as_deref(),
        args.contract.schemas.as_deref(),
    )?;
    let schema = contract.schemas.get(&args.schema).ok_or_else(|| {
        let known: Vec<&str> = contract.schemas.names().collect();
        Failure::Usage(format!(
            "unknown schema {}; known: {}",
            args.schema,
            known.join(", ")
        ))
    })?;
    // The endpoint whose answers the schema describes names the time field.
    let endpoint = Endpoint::ALL
        .into_iter()
        .find(|e| e.schema() == Some(args.schema.as_str()));
    let time_field = endpoint.map_or("time", Endpoint::time_field);
    let reading = Reading {
        schema: Some(schema),
        binary: false,
        profile: args.profile,
        time_field,
    };
    // Every file is checked: one that cannot be read is named on stderr and the others are
    // still judged, and the exit status then says the invocation was wrong (2 before 1).
    if args.files.iter().filter(|p| *p == Path::new("-")).count() > 1 {
        return Err(Failure::Usage(
            "standard input (`-`) can be read once only".to_owned(),
        ));
    }
    let (mut invalid, mut unreadable) = (false, false);
    for path in &args.files {
        match read(path) {
            Ok(bytes) => invalid |= !validate_body(&name(path), &bytes, &reading),
            Err(why) => {
                eprintln!("sensor-conformance: {why}");
                unreadable = true;
            }
        }
    }
    Ok(if unreadable { 2 } else { u8::from(invalid) })
}

/// `-` names standard input.
fn name(path: &Path) -> String {
    if path == Path::new("-") {
        "(stdin)".to_owned()
    } else {
        path.display().to_string()
    }
}

/// The most `validate` reads of one file: twice what `run` reads of one answer by default, and
/// a bound on a file that never ends (`/dev/zero`).
const LARGEST_FILE: u64 = 512 << 20;

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", name(path));
    let source: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(cannot)?)
    };
    let mut bytes = Vec::new();
    source
        .take(LARGEST_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > LARGEST_FILE {
        return Err(format!(
            "{} is larger than {} MiB, more than a sensor's answer",
            name(path),
            LARGEST_FILE >> 20
        ));
    }
    Ok(bytes)
}

/// Prints what one body is; whether it is valid.
fn validate_body(name: &str, bytes: &[u8], reading: &Reading<'_>) -> bool {
    let json = match read_json(bytes, reading, None) {
        Ok(json) => json,
        Err(why) => {
            println!("{name}: invalid: {why}");
            return false;
        }
    };
    for (warning, count) in &json.spelling_warnings {
        println!("{name}: warning: {warning}, {count} time(s) (accepted by --profile lenient)");
    }
    for duplicate in &json.duplicate_keys {
        println!("{name}: warning: duplicate key at {duplicate} (G7)");
    }
    if json.schema_error_count == 0 {
        let what = match json.shape {
            JsonShape::List(n) => format!("a list of {n} item{}", if n == 1 { "" } else { "s" }),
            _ => "one value".to_owned(),
        };
        println!("{name}: valid: {what}");
        return true;
    }
    println!(
        "{name}: invalid: {} schema error(s)",
        json.schema_error_count
    );
    for error in &json.schema_errors {
        println!("  {error}");
    }
    let hidden = json
        .schema_error_count
        .saturating_sub(json.schema_errors.len());
    if hidden > 0 {
        println!("  … and {hidden} more");
    }
    false
}
