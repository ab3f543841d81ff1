use std::path::PathBuf;

/// A contract file that could not be read or does not say something the harness can use.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// A problem at a place in a file.
    #[error("{file}:{line}:{column}: {message}")]
    At {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    /// A file or directory that could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ContractError {
    pub(crate) fn at(file: &str, line: u64, column: u64, message: impl Into<String>) -> Self {
        ContractError::At {
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error of the YAML reader, placed in `file`.
    pub(crate) fn yaml(file: &str, error: &serde_saphyr::Error) -> Self {
        let (line, column) = error.location().map_or((1, 1), |l| (l.line(), l.column()));
        Self::at(file, line, column, yaml_message(error))
    }

    /// An error at the place a spanned YAML value was read from.
    pub(crate) fn spanned(
        file: &str,
        at: &serde_saphyr::Location,
        message: impl Into<String>,
    ) -> Self {
        Self::at(file, at.line(), at.column(), message)
    }
}

/// The reader's own message, without the position it repeats and the snippet it draws.
fn yaml_message(error: &serde_saphyr::Error) -> String {
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.split_once(": ") {
        Some((place, rest)) if place.starts_with("line ") => rest.to_owned(),
        _ => first.to_owned(),
    }
}
