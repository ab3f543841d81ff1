//! The `validate` command: check bodies saved from a sensor against a schema, offline.

use crate::cli::{Failure, ValidateArgs};
use crate::contract::Contract;
use crate::contract::Endpoint;
use crate::target::{JsonShape, Reading, read_json};
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
    let mut invalid = false;
    for path in &args.files {
        invalid |= !validate_file(path, &reading)?;
    }
    Ok(u8::from(invalid))
}

fn validate_file(path: &Path, reading: &Reading<'_>) -> Result<bool, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    let name = path.display();
    let json = match read_json(&bytes, reading, None) {
        Ok(json) => json,
        Err(why) => {
            println!("{name}: invalid: {why}");
            return Ok(false);
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
        return Ok(true);
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
    Ok(false)
}
