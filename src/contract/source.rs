//! Where contract files come from: the copies built into the binary, or a directory.

use super::ContractError;
use std::path::Path;

/// The text of one contract file and the name it is reported under.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    fn builtin(name: &str, text: &str) -> Self {
        Source {
            name: name.to_owned(),
            text: text.to_owned(),
        }
    }

    fn read(path: &Path) -> Result<Self, ContractError> {
        let text = std::fs::read_to_string(path).map_err(|source| ContractError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(Source {
            name: path.display().to_string(),
            text,
        })
    }
}

const CATALOGUE: (&str, &str) = ("cases/rules.yaml", include_str!("../../cases/rules.yaml"));

const CASES: &[(&str, &str)] = &[
    (
        "cases/general.yaml",
        include_str!("../../cases/general.yaml"),
    ),
    ("cases/alerts.yaml", include_str!("../../cases/alerts.yaml")),
    ("cases/events.yaml", include_str!("../../cases/events.yaml")),
    ("cases/pcap.yaml", include_str!("../../cases/pcap.yaml")),
];

/// The schemas by name, each read from `schemas/<name>.schema.json`.
pub(crate) const SCHEMAS: &[(&str, &str)] = &[
    (
        "alerts-v1",
        include_str!("../../schemas/alerts-v1.schema.json"),
    ),
    (
        "alerts-v2",
        include_str!("../../schemas/alerts-v2.schema.json"),
    ),
    ("events", include_str!("../../schemas/events.schema.json")),
    ("error", include_str!("../../schemas/error.schema.json")),
    ("report", include_str!("../../schemas/report.schema.json")),
];

const TITLES: (&str, &str) = (
    "schemas/event-titles.tsv",
    include_str!("../../schemas/event-titles.tsv"),
);

/// The case files: every `*.yaml` of `dir` but the catalogue, in name order, or the built-in ones.
pub(crate) fn case_sources(dir: Option<&Path>) -> Result<Vec<Source>, ContractError> {
    let Some(dir) = dir else {
        return Ok(CASES
            .iter()
            .map(|(name, text)| Source::builtin(name, text))
            .collect());
    };
    let mut paths = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| ContractError::Read {
        path: dir.into(),
        source,
    })?;
    for entry in entries {
        let path = entry
            .map_err(|source| ContractError::Read {
                path: dir.into(),
                source,
            })?
            .path();
        let yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if yaml && path.file_stem().is_some_and(|stem| stem != "rules") {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|path| Source::read(path)).collect()
}

/// The rule catalogue: `rules.yaml` of the cases directory when it has one.
pub(crate) fn catalogue_source(dir: Option<&Path>) -> Result<Source, ContractError> {
    overridden(dir, "rules.yaml", CATALOGUE)
}

/// The event type table: `event-titles.tsv` of the schemas directory when it has one.
pub(crate) fn titles_source(dir: Option<&Path>) -> Result<Source, ContractError> {
    overridden(dir, "event-titles.tsv", TITLES)
}

/// Every schema by name; a `<name>.schema.json` in `dir` replaces the built-in one.
pub(crate) fn schema_sources(dir: Option<&Path>) -> Result<Vec<(String, Source)>, ContractError> {
    if let Some(dir) = dir {
        refuse_strangers(dir)?;
    }
    SCHEMAS
        .iter()
        .map(|&(name, text)| {
            let file = format!("{name}.schema.json");
            let builtin = (format!("schemas/{file}"), text);
            let source = overridden(dir, &file, (builtin.0.as_str(), builtin.1))?;
            Ok((name.to_owned(), source))
        })
        .collect()
}

/// A schema or table file the contract does not know by its name would be ignored, and the
/// built-in one checked in its place without a word: such a file is refused.
fn refuse_strangers(dir: &Path) -> Result<(), ContractError> {
    let unreadable = |source| ContractError::Read {
        path: dir.into(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        let lower = file.to_ascii_lowercase();
        let contract_like = lower.ends_with(".json") || lower.ends_with(".tsv");
        let known = SCHEMAS
            .iter()
            .any(|(name, _)| file.strip_suffix(".schema.json") == Some(name))
            || file == "event-titles.tsv";
        if contract_like && !known {
            let names: Vec<String> = SCHEMAS
                .iter()
                .map(|(name, _)| format!("{name}.schema.json"))
                .chain(["event-titles.tsv".to_owned()])
                .collect();
            let message = format!(
                "not a file the contract knows, so it would be ignored; the schemas \
                 directory may hold {}",
                names.join(", ")
            );
            return Err(ContractError::at(
                &path.display().to_string(),
                1,
                1,
                message,
            ));
        }
    }
    Ok(())
}

fn overridden(
    dir: Option<&Path>,
    file: &str,
    (name, text): (&str, &str),
) -> Result<Source, ContractError> {
    match dir.map(|dir| dir.join(file)) {
        Some(path) if path.exists() => Source::read(&path),
        _ => Ok(Source::builtin(name, text)),
    }
}
