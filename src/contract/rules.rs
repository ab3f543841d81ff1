//! The rule catalogue: every rule of RULES.md, its level and its text.

use super::{ContractError, Source};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// How a violation of a rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A violation fails the test.
    Must,
    /// A violation fails only under `--strict`; otherwise it is a warning.
    Should,
    /// The page is silent: what the target did is recorded, never failed.
    Observe,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::Observe => "observe",
        }
    }
}

/// One numbered rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub level: Level,
    pub text: String,
    /// The rule concerns version 2 of the API only.
    #[serde(default)]
    pub v2: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    rules: Vec<Spanned<Rule>>,
}

/// Every rule, in the catalogue's order.
#[derive(Debug, Clone)]
pub struct Catalogue {
    rules: Vec<Rule>,
}

impl Catalogue {
    pub fn parse(source: &Source) -> Result<Self, ContractError> {
        let file: CatalogueFile = serde_saphyr::from_str(&source.text)
            .map_err(|e| ContractError::yaml(&source.name, &e))?;
        let mut rules: Vec<Rule> = Vec::new();
        for spanned in file.rules {
            let rule = spanned.value;
            if rules.iter().any(|r| r.id == rule.id) {
                let message = format!("rule {} is listed twice", rule.id);
                return Err(ContractError::spanned(
                    &source.name,
                    &spanned.referenced,
                    message,
                ));
            }
            rules.push(rule);
        }
        Ok(Catalogue { rules })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }
}
