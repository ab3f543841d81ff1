//! The event type table: each supported event type and the title it carries.

use super::{ContractError, Source};

/// `event-titles.tsv`: a header line, then `TYPE<TAB>Title` per line.
#[derive(Debug, Clone)]
pub struct EventTitles {
    pairs: Vec<(String, String)>,
}

impl EventTitles {
    pub fn parse(source: &Source) -> Result<Self, ContractError> {
        let mut pairs = Vec::new();
        for (index, line) in source.text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let Some((kind, title)) = line.split_once('\t') else {
                let message = "expected a type and a title separated by a tab";
                return Err(ContractError::at(
                    &source.name,
                    index as u64 + 1,
                    1,
                    message,
                ));
            };
            pairs.push((kind.trim().to_owned(), title.trim().to_owned()));
        }
        Ok(EventTitles { pairs })
    }

    /// The title the table gives for `kind`, if the type is supported.
    pub fn title(&self, kind: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, t)| t.as_str())
    }

    pub fn is_supported(&self, kind: &str) -> bool {
        self.title(kind).is_some()
    }

    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }
}
