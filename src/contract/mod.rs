//! The contract: the rule catalogue, the response schemas, the event type table and the cases,
//! built into the binary and replaceable from directories.

mod cases;
mod error;
mod rules;
mod schemas;
mod source;
mod template;
mod titles;

pub use cases::{
    Auth, Case, Check, Endpoint, FRESH_SPAN, FRESH_STEP, FRESH_TRIES, Filter, Order, Request,
    SameItems, StatusClass, TestName, slug,
};
pub use error::ContractError;
pub use rules::{Catalogue, Level, Rule};
pub use schemas::{Schema, SchemaError, Schemas};
pub use source::Source;
pub use template::{Fact, Piece, Template};
pub use titles::EventTitles;

use std::path::Path;

/// Everything the suite is generated from, loaded and cross-checked.
#[derive(Debug)]
pub struct Contract {
    pub rules: Catalogue,
    pub schemas: Schemas,
    pub titles: EventTitles,
    pub cases: Vec<Case>,
}

impl Contract {
    /// Loads the built-in contract, or the files of `cases_dir` and `schemas_dir` in its place.
    pub fn load(
        cases_dir: Option<&Path>,
        schemas_dir: Option<&Path>,
    ) -> Result<Self, ContractError> {
        let case_sources = source::case_sources(cases_dir)?;
        let schema_sources = source::schema_sources(schemas_dir)?;

        let rules = Catalogue::parse(&source::catalogue_source(cases_dir)?)?;
        let schemas = Schemas::parse(&schema_sources)?;
        let titles = EventTitles::parse(&source::titles_source(schemas_dir)?)?;
        let mut cases = Vec::new();
        for source in &case_sources {
            cases.extend(cases::parse(source, &rules, &schemas)?);
        }
        if cases.is_empty() {
            let place = cases_dir.map_or("the built-in cases".into(), |d| d.display().to_string());
            return Err(ContractError::at(&place, 1, 1, "there is no case to run"));
        }
        cases::check_unique(&cases)?;
        cases::check_fresh_bases(&cases)?;
        Ok(Contract {
            rules,
            schemas,
            titles,
            cases,
        })
    }

    /// The built-in contract.
    pub fn builtin() -> Result<Self, ContractError> {
        Self::load(None, None)
    }
}
