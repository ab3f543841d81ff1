//! The case files: what to request and what must hold, read from YAML and checked against the
//! catalogue and the schemas before anything is sent.

use super::{Catalogue, ContractError, Piece, Schemas, Source, Template};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeMap;

/// The endpoints of the API, and `general` for requests to other paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    AlertsV1,
    AlertsV2,
    Events,
    Pcap,
    General,
}

impl Endpoint {
    pub const ALL: [Endpoint; 5] = [
        Endpoint::AlertsV1,
        Endpoint::AlertsV2,
        Endpoint::Events,
        Endpoint::Pcap,
        Endpoint::General,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Endpoint::AlertsV1 => "alerts-v1",
            Endpoint::AlertsV2 => "alerts-v2",
            Endpoint::Events => "events",
            Endpoint::Pcap => "pcap",
            Endpoint::General => "general",
        }
    }

    fn from_name(name: &str) -> Option<Endpoint> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The path a request to this endpoint goes to unless the case names another.
    pub fn default_path(self) -> Option<&'static str> {
        match self {
            Endpoint::AlertsV1 => Some("/api/v1/alerts"),
            Endpoint::AlertsV2 => Some("/api/v2/alerts"),
            Endpoint::Events => Some("/api/v1/events"),
            Endpoint::Pcap => Some("/api/v2/alerts/pcap/{capture.id}"),
            Endpoint::General => None,
        }
    }

    /// The schema a 2xx answer of this endpoint is checked against as it arrives.
    pub fn schema(self) -> Option<&'static str> {
        match self {
            Endpoint::AlertsV1 => Some("alerts-v1"),
            Endpoint::AlertsV2 => Some("alerts-v2"),
            Endpoint::Events => Some("events"),
            Endpoint::Pcap | Endpoint::General => None,
        }
    }

    /// The field that carries an item's time.
    pub fn time_field(self) -> &'static str {
        match self {
            Endpoint::Events => "timestamp",
            _ => "time",
        }
    }

    /// Whether the endpoint exists only in version 2 of the API.
    pub fn v2_only(self) -> bool {
        matches!(self, Endpoint::AlertsV2 | Endpoint::Pcap)
    }
}

/// Which credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// The endpoint's own: the pcap token for captures, the API token elsewhere.
    #[default]
    Default,
    /// The API token, whatever the endpoint.
    Token,
    /// The pcap token, whatever the endpoint.
    PcapToken,
    /// No `Authorization` header.
    None,
    /// A token the target cannot know.
    Wrong,
    /// The right token with a `Bearer ` prefix, which the page does not use.
    Bearer,
}

/// One request of a case, before the run fills in its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Overrides the case's endpoint.
    pub endpoint: Option<Endpoint>,
    /// Overrides the endpoint's path.
    pub path: Option<Template>,
    pub query: Template,
    pub auth: Auth,
}

/// The status a check expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusClass {
    /// `2xx`, `4xx`, ...: the hundreds digit.
    Class(u16),
    /// `non-2xx`.
    Not2xx,
    /// `401`, or `401|403`: one of these codes.
    Codes(Vec<u16>),
}

impl StatusClass {
    fn parse(text: &str) -> Result<Self, String> {
        if text == "non-2xx" {
            return Ok(StatusClass::Not2xx);
        }
        let digit = text.strip_suffix("xx").and_then(|d| d.parse::<u16>().ok());
        if let Some(digit) = digit.filter(|d| (1..=5).contains(d)) {
            return Ok(StatusClass::Class(digit));
        }
        let codes: Result<Vec<u16>, _> = text.split('|').map(|c| c.trim().parse()).collect();
        match codes {
            Ok(codes) if codes.iter().all(|c| (100..600).contains(c)) => {
                Ok(StatusClass::Codes(codes))
            }
            _ => Err(format!(
                "`{text}` is not a status: write 2xx, 4xx, non-2xx, 401 or 401|403"
            )),
        }
    }

    pub fn matches(&self, status: u16) -> bool {
        match self {
            StatusClass::Class(digit) => status / 100 == *digit,
            StatusClass::Not2xx => status / 100 != 2,
            StatusClass::Codes(codes) => codes.contains(&status),
        }
    }
}

impl std::fmt::Display for StatusClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusClass::Class(digit) => write!(f, "{digit}xx"),
            StatusClass::Not2xx => write!(f, "a status other than 2xx"),
            StatusClass::Codes(codes) => {
                let codes: Vec<_> = codes.iter().map(u16::to_string).collect();
                write!(f, "{}", codes.join(" or "))
            }
        }
    }
}

/// The order of a sorted list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    NewestFirst,
    OldestFirst,
}

/// `same-items-except-near`: two answers hold the same items, but for items close to a moving
/// window boundary `minutes` before now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameItems {
    pub other: String,
    pub minutes: u64,
}

/// `filter-of`: the subject is exactly the items of `base` whose `field` compares so to `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub base: String,
    pub field: String,
    /// `>=` or `<`.
    pub at_least: bool,
    pub value: Template,
}

/// What must hold of a case's answers. Single-answer checks look at the case's own request;
/// relations name the other requests of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Status(StatusClass),
    Schema(String),
    Json,
    List,
    NotList,
    NoData,
    JsonContentType,
    BinaryContentType,
    MaxItems(usize),
    Sorted {
        field: String,
        order: Order,
    },
    AllItems {
        field: String,
        equals: Template,
    },
    Within {
        minutes: Template,
    },
    Capture,
    Titles,
    PlausibleTimes,
    NoDuplicateKeys,
    NoServerError,
    ErrorMessage,
    SameItems(String),
    SameItemsExceptNear(SameItems),
    SubsetOf(String),
    Partition(Vec<String>),
    FilterOf(Filter),
    IntersectionOf(Vec<String>),
    EqualBody(String),
    /// The answers agree on the events of the time span both cover (the timeline moves
    /// between two requests).
    SameEvents(String),
    /// The answers differ: a differing request was not answered from another's cache.
    DiffersFrom(String),
    /// Every item of another answer that falls inside this answer's window is in it.
    Covers {
        other: String,
        minutes: Template,
    },
    /// The answer is the latest `count` events: per-type answers show none it left out.
    Latest {
        count: usize,
        types: usize,
    },
    CachedRepeat {
        poll: Request,
    },
    FreshAnswers {
        poll: Request,
    },
    Record,
}

/// A case as loaded: it expands into one test per endpoint and value.
#[derive(Debug, Clone)]
pub struct Case {
    pub file: String,
    pub line: u64,
    pub name: String,
    pub rule: String,
    pub endpoints: Vec<Endpoint>,
    pub request: Request,
    pub with: BTreeMap<String, Request>,
    pub values: Vec<String>,
    /// Preconditions: when one does not hold, the test is inconclusive, not failed (another
    /// rule decides them).
    pub given: Vec<Check>,
    pub checks: Vec<Check>,
    /// Opt-in: the test is listed as ignored and runs with `--ignored`.
    pub ignored: bool,
}

/// One test a case expands into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestName {
    pub endpoint: Endpoint,
    pub value: Option<String>,
    /// `<endpoint>::<rule>::<case>[::<value>]`.
    pub name: String,
}

impl Case {
    /// Whether its tests poll the target until its timeline moves, which takes seconds.
    pub fn waits(&self) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(c, Check::CachedRepeat { .. } | Check::FreshAnswers { .. }))
    }

    /// The tests of this case: one per endpoint and value.
    pub fn tests(&self) -> Vec<TestName> {
        let values: Vec<Option<&String>> = if self.values.is_empty() {
            vec![None]
        } else {
            self.values.iter().map(Some).collect()
        };
        let mut tests = Vec::new();
        for endpoint in &self.endpoints {
            for value in &values {
                let mut name = format!("{}::{}::{}", endpoint.name(), self.rule, self.name);
                if let Some(value) = value {
                    name.push_str("::");
                    name.push_str(&slug(value));
                }
                tests.push(TestName {
                    endpoint: *endpoint,
                    value: value.cloned(),
                    name,
                });
            }
        }
        tests
    }
}

/// A value as a visible name segment: `<empty>` for nothing; `:` and `/` encoded so that the
/// segments stay apart; everything else as written, percent signs included.
pub fn slug(value: &str) -> String {
    if value.is_empty() {
        return "<empty>".to_owned();
    }
    value
        .chars()
        .map(|c| match c {
            ':' | '/' | '\\' => format!("%{:02X}", c as u32),
            c if c.is_ascii_graphic() => c.to_string(),
            c => c
                .encode_utf8(&mut [0; 4])
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect(),
        })
        .collect()
}

/// The first character of `text` that a URL does not carry as written (the URL parser would
/// percent-encode it or drop it), if any.
fn unsendable(text: &str) -> Option<char> {
    text.chars()
        .find(|c| c.is_whitespace() || c.is_control() || !c.is_ascii() || "#\"<>'`".contains(*c))
}

/// Salts in an hour (one per ten seconds), and the step between tries of one test.
pub const FRESH_STEP: u64 = 360;
/// Tries of one fresh value at most: polls and retries stop there.
pub const FRESH_TRIES: u64 = 32;
/// The values one base can take, in any run and try: `[N, N + FRESH_SPAN)`.
pub const FRESH_SPAN: u64 = FRESH_STEP * FRESH_TRIES;

/// Refuses two `{fresh:N}` bases closer than [`FRESH_SPAN`]: a value of one could then be a
/// value of the other in another run of the hour, and the target would answer it from that
/// run's cache.
pub(crate) fn check_fresh_bases(cases: &[Case]) -> Result<(), ContractError> {
    let mut seen: BTreeMap<u64, &Case> = BTreeMap::new();
    for case in cases {
        for base in fresh_bases(case) {
            let near = seen.range(base.saturating_sub(FRESH_SPAN - 1)..base + FRESH_SPAN);
            if let Some((other, first)) = near.into_iter().find(|(other, _)| **other != base) {
                let message = format!(
                    "{{fresh:{base}}} and {{fresh:{other}}} ({}:{}) are closer than \
                     {FRESH_SPAN}, so their values could meet; pick another base",
                    first.file, first.line
                );
                return Err(ContractError::at(&case.file, case.line, 1, message));
            }
            seen.insert(base, case);
        }
    }
    Ok(())
}

fn fresh_bases(case: &Case) -> Vec<u64> {
    let polls = case.checks.iter().filter_map(|c| match c {
        Check::CachedRepeat { poll } | Check::FreshAnswers { poll } => Some(poll),
        _ => None,
    });
    let requests = std::iter::once(&case.request)
        .chain(case.with.values())
        .chain(polls);
    let templates = requests.flat_map(|r| std::iter::once(&r.query).chain(r.path.as_ref()));
    let pieces = templates.flat_map(|t| t.pieces.iter());
    pieces
        .filter_map(|p| {
            if let super::Piece::Fresh(b) = p {
                Some(*b)
            } else {
                None
            }
        })
        .collect()
}

/// Refuses two tests of one name, naming both cases.
pub(crate) fn check_unique(cases: &[Case]) -> Result<(), ContractError> {
    let mut seen: BTreeMap<String, &Case> = BTreeMap::new();
    for case in cases {
        for test in case.tests() {
            if let Some(first) = seen.get(&test.name) {
                let message = format!(
                    "test name {} is also made by {}:{}",
                    test.name, first.file, first.line
                );
                return Err(ContractError::at(&case.file, case.line, 1, message));
            }
            seen.insert(test.name, case);
        }
    }
    Ok(())
}

// ---- the YAML form ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    cases: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: Spanned<String>,
    rule: Spanned<String>,
    endpoint: Spanned<OneOrMany>,
    #[serde(default)]
    request: Option<Spanned<RawRequest>>,
    #[serde(default)]
    with: BTreeMap<String, Spanned<RawRequest>>,
    #[serde(default)]
    values: Vec<Spanned<String>>,
    #[serde(default)]
    given: Vec<Spanned<RawCheck>>,
    expect: Vec<Spanned<RawCheck>>,
    #[serde(default)]
    ignored: bool,
    #[serde(default)]
    #[expect(dead_code, reason = "a note is for the reader of the case file")]
    note: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    auth: Auth,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSorted {
    field: String,
    order: Order,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllItems {
    field: String,
    equals: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWithin {
    minutes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSameNear {
    #[serde(rename = "as")]
    other: Spanned<String>,
    minutes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    base: Spanned<String>,
    field: String,
    op: Spanned<String>,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCovers {
    #[serde(rename = "as")]
    other: Spanned<String>,
    minutes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLatest {
    count: usize,
    types: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoll {
    poll: RawRequest,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum RawCheck {
    Status(String),
    Schema(Spanned<String>),
    Json,
    List,
    NotList,
    NoData,
    JsonContentType,
    BinaryContentType,
    MaxItems(usize),
    Sorted(RawSorted),
    AllItems(RawAllItems),
    Within(RawWithin),
    Capture,
    Titles,
    PlausibleTimes,
    NoDuplicateKeys,
    NoServerError,
    ErrorMessage,
    SameItems(Spanned<String>),
    SameItemsExceptNear(RawSameNear),
    SubsetOf(Spanned<String>),
    Partition(Vec<Spanned<String>>),
    FilterOf(RawFilter),
    IntersectionOf(Vec<Spanned<String>>),
    EqualBody(Spanned<String>),
    SameEvents(Spanned<String>),
    DiffersFrom(Spanned<String>),
    Covers(RawCovers),
    Latest(RawLatest),
    CachedRepeat(RawPoll),
    FreshAnswers(RawPoll),
    Record,
}

// ---- from YAML to cases ----

/// Reads the cases of one file, checking every name they use.
pub(crate) fn parse(
    source: &Source,
    rules: &Catalogue,
    schemas: &Schemas,
) -> Result<Vec<Case>, ContractError> {
    let file: CaseFile =
        serde_saphyr::from_str(&source.text).map_err(|e| ContractError::yaml(&source.name, &e))?;
    let reader = Reader {
        file: &source.name,
        rules,
        schemas,
    };
    file.cases.into_iter().map(|raw| reader.case(raw)).collect()
}

struct Reader<'a> {
    file: &'a str,
    rules: &'a Catalogue,
    schemas: &'a Schemas,
}

impl Reader<'_> {
    fn error(&self, at: &Location, message: impl Into<String>) -> ContractError {
        ContractError::spanned(self.file, at, message)
    }

    fn case(&self, raw: RawCase) -> Result<Case, ContractError> {
        self.check_name(&raw.name)?;
        self.check_rule(&raw.rule)?;
        let endpoints = self.endpoints(&raw.endpoint)?;
        let request = match &raw.request {
            Some(r) => self.request(&r.value, &r.referenced)?,
            None => self.request(&RawRequest::default(), &raw.name.referenced)?,
        };
        let with = raw
            .with
            .iter()
            .map(|(name, r)| Ok((name.clone(), self.request(&r.value, &r.referenced)?)))
            .collect::<Result<BTreeMap<_, _>, ContractError>>()?;
        let values = self.values(&raw.values)?;
        let checks = self.checks(&raw.expect, &with)?;
        let given = self.checks(&raw.given, &with)?;
        let case = Case {
            file: self.file.to_owned(),
            line: raw.name.referenced.line(),
            name: raw.name.value,
            rule: raw.rule.value,
            endpoints,
            request,
            with,
            values,
            given,
            checks,
            ignored: raw.ignored,
        };
        self.check_value_use(&case, &raw.name.referenced)?;
        Ok(case)
    }

    fn check_name(&self, name: &Spanned<String>) -> Result<(), ContractError> {
        let ok = !name.value.is_empty()
            && name
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            return Ok(());
        }
        let message = format!(
            "case name `{}` must be lowercase letters, digits and -",
            name.value
        );
        Err(self.error(&name.referenced, message))
    }

    fn check_rule(&self, rule: &Spanned<String>) -> Result<(), ContractError> {
        if self.rules.get(&rule.value).is_some() {
            return Ok(());
        }
        let message = format!(
            "unknown rule `{}`: the catalogue has no such id",
            rule.value
        );
        Err(self.error(&rule.referenced, message))
    }

    fn endpoints(&self, raw: &Spanned<OneOrMany>) -> Result<Vec<Endpoint>, ContractError> {
        let names = match &raw.value {
            OneOrMany::One(name) => vec![name.clone()],
            OneOrMany::Many(names) => names.clone(),
        };
        names
            .iter()
            .map(|name| self.endpoint(name, &raw.referenced))
            .collect()
    }

    fn endpoint(&self, name: &str, at: &Location) -> Result<Endpoint, ContractError> {
        Endpoint::from_name(name).ok_or_else(|| {
            let known: Vec<_> = Endpoint::ALL.iter().map(|e| e.name()).collect();
            self.error(
                at,
                format!("unknown endpoint `{name}`; known: {}", known.join(", ")),
            )
        })
    }

    fn template(&self, text: &str, at: &Location) -> Result<Template, ContractError> {
        Template::parse(text).map_err(|message| self.error(at, message))
    }

    /// A window in minutes: a whole number, or a template whose placeholders give one.
    fn minutes(&self, text: &str, at: &Location) -> Result<Template, ContractError> {
        let template = self.template(text, at)?;
        let literal = template
            .pieces
            .iter()
            .all(|piece| matches!(piece, Piece::Text(_)));
        if literal && text.parse::<u64>().is_err() {
            let message = format!("minutes takes a whole number or a placeholder; got `{text}`");
            return Err(self.error(at, message));
        }
        Ok(template)
    }

    fn request(&self, raw: &RawRequest, at: &Location) -> Result<Request, ContractError> {
        let endpoint = raw
            .endpoint
            .as_deref()
            .map(|e| self.endpoint(e, at))
            .transpose()?;
        let path = raw
            .path
            .as_deref()
            .map(|p| self.template(p, at))
            .transpose()?;
        if let Some(path) = raw.path.as_ref().filter(|p| !p.starts_with('/')) {
            return Err(self.error(at, format!("path `{path}` must start with /")));
        }
        let text = raw.query.as_deref().unwrap_or_default();
        for written in raw.path.iter().map(String::as_str).chain([text]) {
            if let Some(c) = unsendable(written) {
                let message = format!(
                    "`{}` holds {c:?}, which a URL cannot carry as written, so it would not be \
                     sent exactly so; percent-encode it (a space is %20)",
                    written.escape_debug()
                );
                return Err(self.error(at, message));
            }
        }
        let query = self.template(text, at)?;
        Ok(Request {
            endpoint,
            path,
            query,
            auth: raw.auth,
        })
    }

    fn values(&self, raw: &[Spanned<String>]) -> Result<Vec<String>, ContractError> {
        raw.iter()
            .map(|v| match unsendable(&v.value) {
                Some(c) => Err(self.error(
                    &v.referenced,
                    format!(
                        "value `{}` holds {c:?}, which a query cannot carry as written; \
                         percent-encode it (a space is %20)",
                        v.value.escape_debug()
                    ),
                )),
                None => Ok(v.value.clone()),
            })
            .collect()
    }

    fn check_value_use(&self, case: &Case, at: &Location) -> Result<(), ContractError> {
        let mut requests = std::iter::once(&case.request).chain(case.with.values());
        let uses = requests
            .any(|r| r.query.uses_value() || r.path.as_ref().is_some_and(Template::uses_value));
        match (uses, case.values.is_empty()) {
            (true, true) => Err(self.error(at, "the case uses {value} but lists no values")),
            (false, false) => Err(self.error(at, "the case lists values but never uses {value}")),
            _ => Ok(()),
        }
    }

    fn reference(
        &self,
        name: &Spanned<String>,
        with: &BTreeMap<String, Request>,
    ) -> Result<String, ContractError> {
        if with.contains_key(&name.value) {
            return Ok(name.value.clone());
        }
        let known: Vec<_> = with.keys().map(String::as_str).collect();
        let message = format!(
            "`{}` is not a request of this case (its `with:` has: {})",
            name.value,
            if known.is_empty() {
                "nothing".to_owned()
            } else {
                known.join(", ")
            }
        );
        Err(self.error(&name.referenced, message))
    }

    fn references(
        &self,
        names: &[Spanned<String>],
        with: &BTreeMap<String, Request>,
    ) -> Result<Vec<String>, ContractError> {
        names.iter().map(|n| self.reference(n, with)).collect()
    }

    fn check(
        &self,
        raw: &RawCheck,
        at: &Location,
        with: &BTreeMap<String, Request>,
    ) -> Result<Check, ContractError> {
        Ok(match raw {
            RawCheck::Status(text) => {
                Check::Status(StatusClass::parse(text).map_err(|m| self.error(at, m))?)
            }
            RawCheck::Schema(name) => Check::Schema(self.schema(name)?),
            RawCheck::List => Check::List,
            RawCheck::Json => Check::Json,
            RawCheck::NotList => Check::NotList,
            RawCheck::NoData => Check::NoData,
            RawCheck::JsonContentType => Check::JsonContentType,
            RawCheck::BinaryContentType => Check::BinaryContentType,
            RawCheck::MaxItems(n) => Check::MaxItems(*n),
            RawCheck::Sorted(s) => Check::Sorted {
                field: s.field.clone(),
                order: s.order,
            },
            RawCheck::AllItems(a) => Check::AllItems {
                field: a.field.clone(),
                equals: self.template(&a.equals, at)?,
            },
            RawCheck::Within(w) => Check::Within {
                minutes: self.minutes(&w.minutes, at)?,
            },
            RawCheck::Capture => Check::Capture,
            RawCheck::Titles => Check::Titles,
            RawCheck::PlausibleTimes => Check::PlausibleTimes,
            RawCheck::NoDuplicateKeys => Check::NoDuplicateKeys,
            RawCheck::NoServerError => Check::NoServerError,
            RawCheck::ErrorMessage => Check::ErrorMessage,
            RawCheck::SameItems(other) => Check::SameItems(self.reference(other, with)?),
            RawCheck::SameItemsExceptNear(s) => Check::SameItemsExceptNear(SameItems {
                other: self.reference(&s.other, with)?,
                minutes: s.minutes,
            }),
            RawCheck::SubsetOf(other) => Check::SubsetOf(self.reference(other, with)?),
            RawCheck::Partition(parts) => Check::Partition(self.references(parts, with)?),
            RawCheck::FilterOf(f) => Check::FilterOf(self.filter(f, at, with)?),
            RawCheck::IntersectionOf(parts) => Check::IntersectionOf(self.references(parts, with)?),
            RawCheck::EqualBody(other) => Check::EqualBody(self.reference(other, with)?),
            RawCheck::SameEvents(other) => Check::SameEvents(self.reference(other, with)?),
            RawCheck::DiffersFrom(other) => Check::DiffersFrom(self.reference(other, with)?),
            RawCheck::Covers(c) => Check::Covers {
                other: self.reference(&c.other, with)?,
                minutes: self.minutes(&c.minutes, at)?,
            },
            RawCheck::Latest(l) => Check::Latest {
                count: l.count,
                types: l.types,
            },
            RawCheck::CachedRepeat(p) => Check::CachedRepeat {
                poll: self.request(&p.poll, at)?,
            },
            RawCheck::FreshAnswers(p) => Check::FreshAnswers {
                poll: self.request(&p.poll, at)?,
            },
            RawCheck::Record => Check::Record,
        })
    }

    fn checks(
        &self,
        raw: &[Spanned<RawCheck>],
        with: &BTreeMap<String, Request>,
    ) -> Result<Vec<Check>, ContractError> {
        raw.iter()
            .map(|c| self.check(&c.value, &c.referenced, with))
            .collect()
    }

    fn schema(&self, name: &Spanned<String>) -> Result<String, ContractError> {
        if self.schemas.get(&name.value).is_some() {
            return Ok(name.value.clone());
        }
        let known: Vec<_> = self.schemas.names().collect();
        let message = format!(
            "unknown schema `{}`; known: {}",
            name.value,
            known.join(", ")
        );
        Err(self.error(&name.referenced, message))
    }

    fn filter(
        &self,
        raw: &RawFilter,
        at: &Location,
        with: &BTreeMap<String, Request>,
    ) -> Result<Filter, ContractError> {
        let at_least = match raw.op.value.as_str() {
            ">=" => true,
            "<" => false,
            other => {
                let message = format!("op `{other}`: write >= or <");
                return Err(self.error(&raw.op.referenced, message));
            }
        };
        Ok(Filter {
            base: self.reference(&raw.base, with)?,
            field: raw.field.clone(),
            at_least,
            value: self.template(&raw.value, at)?,
        })
    }
}
