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
            let (kind, title) = (kind.trim(), title.trim());
            let at =
                |message: String| ContractError::at(&source.name, index as u64 + 1, 1, message);
            if kind.is_empty() || title.is_empty() {
                return Err(at("expected a type and a title, neither empty".to_owned()));
            }
            if pairs.iter().any(|(k, _)| k == kind) {
                return Err(at(format!("the type {kind} is listed twice")));
            }
            pairs.push((kind.to_owned(), title.to_owned()));
        }
        if pairs.is_empty() {
            let message = "the table lists no event type: every title check would pass on nothing";
            return Err(ContractError::at(&source.name, 1, 1, message));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<EventTitles, String> {
        let source = Source {
            name: "event-titles.tsv".to_owned(),
            text: text.to_owned(),
        };
        EventTitles::parse(&source).map_err(|e| e.to_string())
    }

    #[test]
    fn refuses_an_empty_table_a_repeated_type_and_a_missing_title() {
        assert!(
            parse("type\ttitle\n")
                .unwrap_err()
                .contains("no event type")
        );
        assert!(parse("").is_err());
        let twice = parse("type\ttitle\nA\tOne\nA\tTwo\n").unwrap_err();
        assert!(
            twice.contains(":3:1") && twice.contains("A is listed twice"),
            "{twice}"
        );
        assert!(parse("type\ttitle\nA\t \n").is_err());
        assert_eq!(
            parse("type\ttitle\nA\tOne\n").unwrap().title("A"),
            Some("One")
        );
    }
}
