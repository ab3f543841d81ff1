//! The built-in contract: schemas valid against the meta-schema, every rule checked by a test,
//! the event type list the same everywhere, and bad case files refused with their place.

use sensor_conformance::contract::{Contract, ContractError};
use sensor_conformance::suite;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_schema_is_valid_2020_12() {
    for entry in std::fs::read_dir(root().join("schemas")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let schema: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(
                schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
            jsonschema::meta::validate(&schema)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

#[test]
fn every_rule_has_a_test() {
    let contract = Contract::builtin().unwrap();
    let tests = suite::expand(&contract);
    let untested: Vec<&str> = contract
        .rules
        .iter()
        .filter(|rule| !tests.iter().any(|t| t.case.rule == rule.id))
        .map(|rule| rule.id.as_str())
        .collect();
    assert!(untested.is_empty(), "rules without a test: {untested:?}");
}

#[test]
fn test_names_carry_endpoint_rule_and_case() {
    let contract = Contract::builtin().unwrap();
    let names: Vec<String> = suite::expand(&contract)
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(names.contains(&"alerts-v1::A6::invalid-state::HANDLED".to_owned()));
    assert!(names.contains(&"alerts-v1::A6::invalid-state::<empty>".to_owned()));
    assert!(names.contains(&"alerts-v1::A6::invalid-state::handled%20".to_owned()));
    for name in &names {
        let segments: Vec<&str> = name.split("::").collect();
        assert!((3..=4).contains(&segments.len()), "{name}");
        assert!(["alerts-v1", "alerts-v2", "events", "pcap", "general"].contains(&segments[0]));
    }
}

#[test]
fn event_schema_lists_the_table_types() {
    let contract = Contract::builtin().unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/events.schema.json")).unwrap(),
    )
    .unwrap();
    let listed: Vec<&str> = schema["$defs"]["event"]["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let table: Vec<&str> = contract.titles.types().collect();
    assert_eq!(listed, table);
    assert_eq!(table.len(), 78);
}

fn load_case(text: &str) -> ContractError {
    let dir = tempdir();
    std::fs::write(dir.join("case.yaml"), text).unwrap();
    let error = Contract::load(Some(&dir), None).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    error
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sensor-conformance-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn place(error: &ContractError) -> (u64, u64, String) {
    match error {
        ContractError::At {
            line,
            column,
            message,
            ..
        } => (*line, *column, message.clone()),
        other => panic!("expected a placed error, got {other}"),
    }
}

const CASE: &str = "cases:\n  - name: a\n    rule: A1\n    endpoint: alerts-v1\n";

#[test]
fn unknown_key_is_placed() {
    let (line, column, message) =
        place(&load_case(&format!("{CASE}    expect: []\n    bogus: 1\n")));
    assert_eq!((line, column), (6, 5));
    assert!(message.contains("unknown field `bogus`"), "{message}");
}

#[test]
fn missing_field_is_placed() {
    let error = load_case("cases:\n  - name: a\n    rule: A1\n    expect: []\n");
    let (line, _, message) = place(&error);
    assert!(
        (2..=4).contains(&line),
        "the case spans lines 2 to 4, not {line}"
    );
    assert!(message.contains("missing field `endpoint`"), "{message}");
}

#[test]
fn unknown_schema_is_placed() {
    let (line, column, message) = place(&load_case(&format!(
        "{CASE}    expect: [schema: alerts-v3]\n"
    )));
    assert_eq!((line, column), (5, 22));
    assert!(message.contains("unknown schema `alerts-v3`"), "{message}");
}

#[test]
fn unknown_check_is_placed() {
    let (line, _, message) = place(&load_case(&format!(
        "{CASE}    expect: [sorted-by-magic]\n"
    )));
    assert_eq!(line, 5);
    assert!(
        message.contains("unknown variant `sorted-by-magic`"),
        "{message}"
    );
}

#[test]
fn unknown_placeholder_is_placed() {
    let text = format!("{CASE}    request: {{query: \"toTime={{soon}}\"}}\n    expect: [list]\n");
    let (line, _, message) = place(&load_case(&text));
    assert_eq!(line, 5);
    assert!(
        message.contains("unknown placeholder `{soon}`"),
        "{message}"
    );
}

#[test]
fn duplicate_test_names_are_refused() {
    let case = "  - name: a\n    rule: A1\n    endpoint: alerts-v1\n    expect: [list]\n";
    let error = load_case(&format!("cases:\n{case}{case}"));
    let contract_error = error.to_string();
    assert!(
        contract_error.contains("test name alerts-v1::A1::a is also made by"),
        "{contract_error}"
    );
}

#[test]
fn malformed_schema_is_placed() {
    let dir = tempdir();
    std::fs::write(
        dir.join("events.schema.json"),
        "{\n  \"type\": \"array\",\n  oops\n}",
    )
    .unwrap();
    let error = Contract::load(None, Some(Path::new(&dir))).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    let (line, column, _) = place(&error);
    assert_eq!((line, column), (3, 3));
}
