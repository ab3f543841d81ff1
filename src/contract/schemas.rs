//! The response schemas (JSON Schema 2020-12), checked against the meta-schema and compiled once.

use super::{ContractError, Source};
use serde_json::Value;
use std::collections::BTreeMap;

/// How many errors one item may report; the rest are counted, not described.
const ERRORS_PER_ITEM: usize = 4;

/// Top-level keywords a list schema may use: the rest could not be checked item by item.
const STREAMABLE_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$comment",
    "title",
    "description",
    "type",
    "items",
];

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// JSON pointer into the checked body.
    pub instance_path: String,
    /// JSON pointer into the schema.
    pub schema_path: String,
    pub message: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "at {at}: {} (schema {})", self.message, self.schema_path)
    }
}

/// A compiled schema.
#[derive(Debug)]
pub struct Schema {
    pub name: String,
    list: bool,
    validator: jsonschema::Validator,
}

impl Schema {
    fn parse(name: &str, source: &Source) -> Result<Self, ContractError> {
        let value: Value = serde_json::from_str(&source.text).map_err(|e| {
            ContractError::at(
                &source.name,
                e.line() as u64,
                e.column() as u64,
                e.to_string(),
            )
        })?;
        if let Err(error) = jsonschema::meta::validate(&value) {
            let message = format!(
                "not a valid JSON Schema at {}: {error}",
                pointer_or_root(&error.instance_path().to_string())
            );
            return Err(ContractError::at(&source.name, 1, 1, message));
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&value)
            .map_err(|e| ContractError::at(&source.name, 1, 1, format!("cannot compile: {e}")))?;
        let list = is_list_schema(&value);
        if list {
            check_streamable(&value, &source.name)?;
        }
        Ok(Schema {
            name: name.to_owned(),
            list,
            validator,
        })
    }

    /// Whether the schema describes a list whose items are checked one at a time.
    pub fn is_list(&self) -> bool {
        self.list
    }

    /// Checks a whole body.
    pub fn check(&self, body: &Value) -> Vec<SchemaError> {
        self.validator
            .iter_errors(body)
            .take(ERRORS_PER_ITEM * 4)
            .map(describe)
            .collect()
    }

    /// Checks one item of a list body as the list schema would; error paths are relative to
    /// the item.
    pub fn check_item(&self, item: Value) -> (Value, Vec<SchemaError>) {
        let wrapped = Value::Array(vec![item]);
        // Most items are valid: the boolean check is much cheaper than collecting errors.
        let errors = if self.validator.is_valid(&wrapped) {
            Vec::new()
        } else {
            self.item_errors(&wrapped)
        };
        let Value::Array(mut items) = wrapped else {
            unreachable!("built as an array above")
        };
        (items.pop().unwrap_or(Value::Null), errors)
    }

    fn item_errors(&self, wrapped: &Value) -> Vec<SchemaError> {
        self.validator
            .iter_errors(wrapped)
            .take(ERRORS_PER_ITEM)
            .map(describe)
            .map(|mut e| {
                e.instance_path = e.instance_path.replacen("/0", "", 1);
                e
            })
            .collect()
    }
}

fn describe(error: jsonschema::ValidationError<'_>) -> SchemaError {
    SchemaError {
        instance_path: error.instance_path().to_string(),
        schema_path: pointer_or_root(&error.schema_path().to_string()),
        message: error.masked().to_string(),
    }
}

fn pointer_or_root(pointer: &str) -> String {
    if pointer.is_empty() {
        "/".to_owned()
    } else {
        pointer.to_owned()
    }
}

fn is_list_schema(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("array")
}

fn check_streamable(value: &Value, file: &str) -> Result<(), ContractError> {
    let Some(object) = value.as_object() else {
        return Ok(());
    };
    match object
        .keys()
        .find(|k| !STREAMABLE_KEYWORDS.contains(&k.as_str()))
    {
        Some(keyword) => Err(ContractError::at(
            file,
            1,
            1,
            format!(
                "a list schema is checked one item at a time, so `{keyword}` cannot be used at \
                 its top level; describe the items under `items`"
            ),
        )),
        None => Ok(()),
    }
}

/// The compiled schemas by name.
#[derive(Debug)]
pub struct Schemas {
    by_name: BTreeMap<String, Schema>,
}

impl Schemas {
    pub fn parse(sources: &[(String, Source)]) -> Result<Self, ContractError> {
        let mut by_name = BTreeMap::new();
        for (name, source) in sources {
            by_name.insert(name.clone(), Schema::parse(name, source)?);
        }
        Ok(Schemas { by_name })
    }

    pub fn get(&self, name: &str) -> Option<&Schema> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}
