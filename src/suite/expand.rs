//! Expanding cases into tests: one per endpoint and value, named
//! `<endpoint>::<rule>::<case>[::<value>]` (names are checked unique when the contract loads).

use crate::contract::{Case, Contract, Endpoint, Level};
use std::sync::Arc;

/// One generated test.
#[derive(Debug, Clone)]
pub struct Test {
    pub name: String,
    pub case: Arc<Case>,
    pub endpoint: Endpoint,
    pub value: Option<String>,
    pub level: Level,
    pub rule_text: String,
    /// Version 2 of the API only: its endpoint or its rule.
    pub v2: bool,
}

/// Every test of the contract, in the order of the case files.
pub fn expand(contract: &Contract) -> Vec<Test> {
    let mut tests = Vec::new();
    for case in &contract.cases {
        let case = Arc::new(case.clone());
        let rule = contract
            .rules
            .get(&case.rule)
            .expect("rule ids are checked when cases load");
        for test in case.tests() {
            tests.push(Test {
                name: test.name,
                case: Arc::clone(&case),
                endpoint: test.endpoint,
                value: test.value,
                level: rule.level,
                rule_text: rule.text.clone(),
                v2: rule.v2 || test.endpoint.v2_only(),
            });
        }
    }
    tests
}

#[cfg(test)]
mod tests {
    use crate::contract::slug;

    #[test]
    fn slugs_are_visible() {
        assert_eq!(slug(""), "<empty>");
        assert_eq!(slug("handled%20"), "handled%20");
        assert_eq!(slug("a:b/c"), "a%3Ab%2Fc");
        assert_eq!(slug("é"), "%C3%A9");
    }
}
