//! The catalogue of what the reference sensor can be told to do differently: faults, each
//! breaking one rule of the contract, and variations, each a legal choice where the page is
//! silent.

use std::fmt;
use std::str::FromStr;

/// Defines a closed catalogue enum whose every value has a command-line name and a one-line
/// description, from a single table, so that the names, `--help` and `all()` cannot drift.
macro_rules! catalogue {
    (
        $(#[$attr:meta])*
        pub enum $enum:ident ($what:literal) {
            $($variant:ident = $name:literal: $description:literal,)+
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $enum {
            $(#[doc = $description] $variant,)+
        }

        impl $enum {
            /// Every value, in catalogue order.
            pub fn all() -> &'static [$enum] {
                &[$($enum::$variant,)+]
            }

            /// The name used on the command line and in reports.
            pub fn name(&self) -> &'static str {
                match self {
                    $($enum::$variant => $name,)+
                }
            }

            /// One line saying what the sensor does differently.
            pub fn description(&self) -> &'static str {
                match self {
                    $($enum::$variant => $description,)+
                }
            }
        }

        impl clap::ValueEnum for $enum {
            fn value_variants<'a>() -> &'a [Self] {
                Self::all()
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(self.name()).help(self.description()))
            }
        }

        impl FromStr for $enum {
            type Err = UnknownName;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                Self::all()
                    .iter()
                    .copied()
                    .find(|value| value.name() == name)
                    .ok_or_else(|| UnknownName { what: $what, name: name.to_owned() })
            }
        }

        impl fmt::Display for $enum {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// A name that is not in the catalogue it was looked up in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("find {what} `{name}` in the catalogue")]
pub struct UnknownName {
    /// Which catalogue: "fault" or "variation".
    pub what: &'static str,
    /// The name as given.
    pub name: String,
}

catalogue! {
    /// A deliberate breach of one rule of the contract. The name starts with the rule's id.
    pub enum Fault ("fault") {
        G1NoAuth = "G1-no-auth":
            "serves data without checking the API token (on all JSON endpoints)",
        G2PlainRejection = "G2-plain-rejection":
            "rejections are 401 with a text/plain body `Unauthorized`",
        G3InvalidJson = "G3-invalid-json":
            "/api/v1/events bodies are cut off in the middle (invalid JSON)",
        G4TextContentType = "G4-text-content-type":
            "JSON bodies of successful answers are labelled text/plain",
        G5ErrorOnOddInput = "G5-error-on-odd-input":
            "non-numeric fromTime, toTime or minutesTimeFrame answer 500",
        G7DuplicateKeys = "G7-duplicate-keys":
            "every alert object carries the key `severity` twice, with different values",
        A1WrappedList = "A1-wrapped-list":
            "alerts answers are an object {\"alerts\": [...]} instead of an array",
        A2StringId = "A2-string-id":
            "alert ids are strings (\"17\")",
        A3Seconds = "A3-seconds":
            "alert times are given in seconds instead of milliseconds",
        A4MissingV2Fields = "A4-missing-v2-fields":
            "/api/v2/alerts omits remediationSteps and the device address fields",
        A5StateOverlap = "A5-state-overlap":
            "state=handled returns every alert, handled or not",
        A6AcceptAnyState = "A6-accept-any-state":
            "an invalid state value is ignored instead of rejected",
        A7FromTimeExclusive = "A7-fromTime-exclusive":
            "fromTime keeps alerts strictly after the given time",
        A8ToTimeInclusive = "A8-toTime-inclusive":
            "toTime also keeps alerts at exactly the given time",
        A9TypeAddsAlerts = "A9-type-adds-alerts":
            "a supported type adds archived alerts that the unfiltered list does not have",
        A10UnknownTypeEmpty = "A10-unknown-type-empty":
            "an unknown alert type answers an empty list",
        A11CombineFirstOnly = "A11-combine-first-only":
            "of several filter parameters only the first in the query is applied",
        A13PlainTextError = "A13-plain-text-error":
            "the invalid-state error is text/plain `invalid state`",
        E1BadSeverity = "E1-bad-severity":
            "every 10th event has the severity WARNING",
        E2OldestFirst = "E2-oldest-first":
            "events are sorted oldest first",
        E3Wrong100 = "E3-wrong-100":
            "when more than 100 events match, the oldest 100 of the window are returned",
        E4WindowIgnored = "E4-window-ignored":
            "minutesTimeFrame is ignored",
        E5RejectLarge = "E5-reject-large":
            "minutesTimeFrame above 4320 answers 400",
        E6TypeIgnored = "E6-type-ignored":
            "the event type filter is not applied",
        E7UnknownTypeEmpty = "E7-unknown-type-empty":
            "an unknown event type answers an empty list",
        E7RejectUnknownType = "E7-reject-unknown-type":
            "an unknown event type answers 400",
        E8NoCache = "E8-no-cache":
            "events answers are never cached",
        E9CacheIgnoresParams = "E9-cache-ignores-params":
            "the events cache is keyed on the path only",
        E10WrongTitles = "E10-wrong-titles":
            "every event's title is its type",
        P1TruncatedPcap = "P1-truncated-pcap":
            "the last record of every capture is cut short",
        P2MissingAsEmpty = "P2-missing-as-empty":
            "an alert without a capture answers 200 with an empty body",
        P3AcceptApiToken = "P3-accept-api-token":
            "the capture endpoint also accepts the regular API token",
        P4JsonContentType = "P4-json-content-type":
            "captures are labelled application/json",
    }
}

impl Fault {
    /// The id of the rule this fault breaks, such as `A6`.
    pub fn rule(&self) -> &'static str {
        let name = self.name();
        name.split_once('-').map_or(name, |(rule, _)| rule)
    }
}

catalogue! {
    /// A legal behaviour where the page is silent; a conformant client must accept each.
    pub enum Variation ("variation") {
        RejectNonNumeric = "reject-non-numeric":
            "non-numeric fromTime, toTime or minutesTimeFrame answer 400 instead of being ignored",
        AlertsNewestFirst = "alerts-newest-first":
            "alerts are ordered newest first",
        CacheOrderInsensitive = "cache-order-insensitive":
            "the events cache key is the sorted list of decoded parameters",
        UnknownPath400 = "unknown-path-400":
            "unknown paths answer 400 instead of 404",
        Reject403 = "reject-403":
            "a missing or wrong token answers 403 instead of 401 (G1 allows it; G2 says should not)",
    }
}

/// The faults and variations one sensor runs with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Behaviour {
    faults: Vec<Fault>,
    variations: Vec<Variation>,
}

impl Behaviour {
    /// A behaviour with the given faults and variations.
    pub fn new(faults: &[Fault], variations: &[Variation]) -> Self {
        Self {
            faults: faults.to_vec(),
            variations: variations.to_vec(),
        }
    }

    /// Whether the sensor was told to break a rule in this way.
    pub fn breaks(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// Whether the sensor was told to take this legal variation.
    pub fn varies(&self, variation: Variation) -> bool {
        self.variations.contains(&variation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn fault_names_are_unique_and_start_with_their_rule() {
        let names: HashSet<_> = Fault::all().iter().map(Fault::name).collect();
        assert_eq!(names.len(), Fault::all().len());
        for fault in Fault::all() {
            assert!(fault.name().starts_with(&format!("{}-", fault.rule())));
        }
    }

    #[test]
    fn rule_is_the_prefix_before_the_first_dash() {
        assert_eq!(Fault::A6AcceptAnyState.rule(), "A6");
        assert_eq!(Fault::E10WrongTitles.rule(), "E10");
    }

    #[test]
    fn names_parse_back() {
        for fault in Fault::all() {
            assert_eq!(fault.name().parse::<Fault>(), Ok(*fault));
        }
        for variation in Variation::all() {
            assert_eq!(variation.name().parse::<Variation>(), Ok(*variation));
        }
        assert!("A6-nothing".parse::<Fault>().is_err());
    }

    #[test]
    fn behaviour_answers_membership() {
        let behaviour = Behaviour::new(&[Fault::A1WrappedList], &[Variation::Reject403]);
        assert!(behaviour.breaks(Fault::A1WrappedList));
        assert!(!behaviour.breaks(Fault::A2StringId));
        assert!(behaviour.varies(Variation::Reject403));
        assert!(!behaviour.varies(Variation::UnknownPath400));
    }
}
