//! The context of a run: the target, its clock, this run's salt and pin, the answers already
//! fetched (each distinct request is sent once), and the facts learnt from the target.

use super::verdict::{Redactor, Store};
use crate::contract::{Auth, Contract, Endpoint, FRESH_STEP, Fact, Piece, Request, Template};
use crate::target::{Answer, Client, Clock, Credential, Profile, Reading, Sent, sent_items};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::OnceCell;

/// How far before the sensor's clock lists are pinned with `toTime`.
const PIN_BEFORE_MS: i64 = 120_000;
/// How many alerts are probed for a capture when none is named.
const CAPTURE_PROBES: usize = 8;
/// How many event types are probed for one with an event older than three days.
const OLD_TYPE_PROBES: usize = 12;
/// Three days, plus the hour a cached answer may be old, plus a margin.
const OLDER_THAN_CAP_MS: i64 = (4320 + 60 + 5) * 60_000;

/// Choices of the run that checks consult.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub strict: bool,
    pub api_version: u8,
    pub profile: Profile,
    pub pcap_alert_id: Option<String>,
    /// How long rules that need the timeline to move wait for it.
    pub movement_wait: Duration,
}

/// A request with its placeholders filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub endpoint: Endpoint,
    pub path: String,
    pub query: String,
    pub credential: Credential,
    /// The query pins the list with `toTime={pin}`.
    pub pinned: bool,
    /// The query carries a fresh value, so the target cannot answer it from an old cache.
    pub fresh: bool,
}

/// What the capture probe found.
#[derive(Debug, Clone, Default)]
struct Probes {
    capture: Option<String>,
    no_capture: Option<String>,
    /// The status of a probe that refused the pcap token.
    refused: Option<u16>,
    tried: usize,
}

type Memo = Mutex<HashMap<(Credential, String), Arc<OnceCell<Arc<Sent>>>>>;

/// Everything the tests of one run share.
pub struct Context {
    pub contract: Arc<Contract>,
    pub client: Client,
    pub clock: Clock,
    pub pin: i64,
    pub salt: u64,
    pub options: RunOptions,
    pub store: Store,
    pub redactor: Redactor,
    memo: Memo,
    probes: OnceCell<Result<Probes, String>>,
    old_type: OnceCell<Result<String, String>>,
}

impl Context {
    /// Lets go of the answers the run fetched and read, once every test is decided: a fleet
    /// that has more sensors than places frees a sensor's as it finishes.
    pub fn free_answers(&self) {
        let answers =
            std::mem::take(&mut *self.memo.lock().unwrap_or_else(PoisonError::into_inner));
        drop(answers);
        self.client.memo().clear();
    }

    pub fn new(
        contract: Arc<Contract>,
        client: Client,
        clock: Clock,
        options: RunOptions,
        redactor: Redactor,
    ) -> Self {
        let start = clock.sensor_now_ms();
        Context {
            contract,
            client,
            clock,
            pin: start - PIN_BEFORE_MS,
            // Ten-second steps of the hour: a run of the last hour used another salt unless it
            // started in the same ten seconds, so a salted value was not cached by it.
            salt: (crate::target::now_ms() / 10_000) as u64 % FRESH_STEP,
            options,
            store: Store::default(),
            redactor,
            memo: Mutex::default(),
            probes: OnceCell::new(),
            old_type: OnceCell::new(),
        }
    }

    /// How an answer of `endpoint` is read.
    pub fn reading(&self, endpoint: Endpoint) -> Reading<'_> {
        Reading {
            schema: endpoint
                .schema()
                .and_then(|name| self.contract.schemas.get(name)),
            binary: endpoint == Endpoint::Pcap,
            profile: self.options.profile,
            time_field: endpoint.time_field(),
        }
    }

    /// Fills in `request` for a test on `endpoint` with `value`; `attempt` varies fresh values.
    pub async fn resolve(
        &self,
        request: &Request,
        endpoint: Endpoint,
        value: Option<&str>,
        attempt: u32,
    ) -> Result<Resolved, String> {
        let endpoint = request.endpoint.unwrap_or(endpoint);
        let default_path = endpoint.default_path().map(Template::parse);
        let path = match (&request.path, default_path) {
            (Some(path), _) => path.clone(),
            (None, Some(Ok(path))) => path,
            _ => return Err(format!("the {} endpoint needs a path", endpoint.name())),
        };
        let credential = self.credential(request.auth, endpoint)?;
        let filled_path = self.fill(&path, value, attempt).await?;
        let query = self.fill(&request.query, value, attempt).await?;
        Ok(Resolved {
            endpoint,
            path: filled_path,
            query,
            credential,
            pinned: request.query.pieces.contains(&Piece::Pin),
            fresh: request
                .query
                .pieces
                .iter()
                .any(|p| matches!(p, Piece::Fresh(_))),
        })
    }

    fn credential(&self, auth: Auth, endpoint: Endpoint) -> Result<Credential, String> {
        let credential = match auth {
            Auth::Default if endpoint == Endpoint::Pcap => Credential::Pcap,
            Auth::Default | Auth::Token => Credential::Api,
            Auth::PcapToken => Credential::Pcap,
            Auth::None => Credential::None,
            Auth::Wrong => Credential::Wrong,
            Auth::Bearer => Credential::Bearer,
        };
        if credential == Credential::Pcap && !self.client.has_pcap_token() {
            return Err(no_pcap_token());
        }
        Ok(credential)
    }

    /// Fills in one template.
    pub async fn fill(
        &self,
        template: &Template,
        value: Option<&str>,
        attempt: u32,
    ) -> Result<String, String> {
        let mut out = String::new();
        for piece in &template.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Value => out.push_str(value.unwrap_or_default()),
                Piece::Pin => out.push_str(&self.pin.to_string()),
                Piece::Fresh(base) => {
                    let fresh = base + self.salt + FRESH_STEP * u64::from(attempt);
                    out.push_str(&fresh.to_string())
                }
                Piece::Fact(fact) => out.push_str(&self.fact(*fact).await?),
            }
        }
        Ok(out)
    }

    /// Sends `resolved` unless this run already has its answer.
    pub async fn fetch(&self, resolved: &Resolved) -> Arc<Sent> {
        let url = self.client.url(&resolved.path, &resolved.query);
        let cell = {
            let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(
                memo.entry((resolved.credential, url.to_string()))
                    .or_default(),
            )
        };
        let sent = cell.get_or_init(|| self.send(resolved, url)).await;
        Arc::clone(sent)
    }

    /// Sends `resolved` again, whatever was fetched before.
    pub async fn fetch_fresh(&self, resolved: &Resolved) -> Arc<Sent> {
        let url = self.client.url(&resolved.path, &resolved.query);
        self.send(resolved, url).await
    }

    async fn send(&self, resolved: &Resolved, url: reqwest::Url) -> Arc<Sent> {
        let reading = self.reading(resolved.endpoint);
        Arc::new(self.client.get(&url, resolved.credential, &reading).await)
    }

    async fn fact(&self, fact: Fact) -> Result<String, String> {
        match fact {
            Fact::AlertTime => self.alert_time().await,
            Fact::UnknownId => self.unknown_id().await,
            Fact::CaptureId => self
                .capture_probes()
                .await?
                .capture
                .ok_or_else(|| "no capture".into()),
            Fact::NoCaptureId => self.capture_probes().await?.no_capture.ok_or_else(|| {
                "every alert probed has a capture, so none is known to lack one".to_owned()
            }),
            Fact::OldType => self
                .old_type
                .get_or_init(|| self.find_old_type())
                .await
                .clone(),
            Fact::MixedType => self.mixed_type().await,
        }
    }

    /// The pinned alert list: `/api/v1/alerts?toTime={pin}`.
    async fn pinned_alerts(&self) -> Result<Arc<Sent>, String> {
        let request = Request {
            endpoint: Some(Endpoint::AlertsV1),
            path: None,
            query: Template::parse("toTime={pin}").map_err(|e| e.to_string())?,
            auth: Auth::Token,
        };
        let resolved = Box::pin(self.resolve(&request, Endpoint::AlertsV1, None, 0)).await?;
        Ok(self.fetch(&resolved).await)
    }

    async fn alert_times(&self) -> Result<Vec<(i64, i64)>, String> {
        let sent = self.pinned_alerts().await?;
        let answer = listed("the pinned alert list", &sent)?;
        let items = answer.items().unwrap_or_default();
        let mut pairs: Vec<(i64, i64)> = items
            .iter()
            .filter_map(|i| Some((i.time?, i.id?)))
            .collect();
        pairs.sort_unstable();
        if pairs.is_empty() && !items.is_empty() {
            return Err(format!(
                "none of the {} pinned alerts has an integer id and time to learn from (A2)",
                items.len()
            ));
        }
        Ok(pairs)
    }

    async fn alert_time(&self) -> Result<String, String> {
        let pairs = self.alert_times().await?;
        let middle = pairs
            .get(pairs.len() / 2)
            .ok_or("the sensor shows no alert before the pin")?;
        Ok(middle.0.to_string())
    }

    async fn unknown_id(&self) -> Result<String, String> {
        let pairs = self.alert_times().await?;
        let highest = pairs.iter().map(|(_, id)| *id).max().unwrap_or(0);
        Ok(highest.saturating_add(1_000_000).to_string())
    }

    async fn capture_probes(&self) -> Result<Probes, String> {
        let probes = self
            .probes
            .get_or_init(|| self.probe_captures())
            .await
            .clone()?;
        if let (None, Some(status)) = (&probes.capture, probes.refused) {
            return Err(format!(
                "the capture endpoint refused the pcap token ({status}): check \
                 --pcap-token-file or SENSOR_PCAP_TOKEN"
            ));
        }
        if probes.capture.is_none() {
            return Err(format!(
                "no capture found: none of the {} newest alerts probed has one \
                 (name one with --pcap-alert-id)",
                probes.tried
            ));
        }
        Ok(probes)
    }

    /// The pcap rules (and G1 on captures) are decided only once the pcap token has fetched a
    /// real capture: before that, a rejection could be the token's fault.
    pub async fn capture_proven(&self) -> Result<(), String> {
        self.capture_probes().await.map(|_| ())
    }

    async fn probe_captures(&self) -> Result<Probes, String> {
        if !self.client.has_pcap_token() {
            return Err(no_pcap_token());
        }
        let mut candidates: Vec<String> = self.options.pcap_alert_id.iter().cloned().collect();
        let mut pairs = match self.alert_times().await {
            Ok(pairs) => pairs,
            Err(_) if !candidates.is_empty() => Vec::new(),
            Err(why) => return Err(format!("no alert to probe for a capture: {why}")),
        };
        pairs.reverse();
        let newest = pairs.iter().map(|(_, id)| id.to_string());
        candidates.extend(newest.filter(|id| self.options.pcap_alert_id.as_ref() != Some(id)));
        let named = self.options.pcap_alert_id.as_deref();
        let mut probes = Probes::default();
        for id in candidates.into_iter().take(CAPTURE_PROBES) {
            self.probe_capture(&id, &mut probes).await;
            if named == Some(id.as_str()) && probes.capture.is_none() && probes.refused.is_none() {
                tracing::warn!(
                    "the alert named by --pcap-alert-id ({id}) gave no capture; probing the \
                     newest alerts instead"
                );
            }
            if probes.capture.is_some() && probes.no_capture.is_some() {
                break;
            }
        }
        Ok(probes)
    }

    async fn probe_capture(&self, id: &str, probes: &mut Probes) {
        let resolved = Resolved {
            endpoint: Endpoint::Pcap,
            path: format!("/api/v2/alerts/pcap/{id}"),
            query: String::new(),
            credential: Credential::Pcap,
            pinned: false,
            fresh: false,
        };
        probes.tried += 1;
        let sent = self.fetch(&resolved).await;
        let Ok(answer) = &*sent else { return };
        let looks_like_json = answer
            .raw
            .as_ref()
            .and_then(|r| r.first())
            .is_some_and(|b| b"{[".contains(b));
        match answer.status {
            401 | 403 => probes.refused = Some(answer.status),
            200..=299 if answer.exchange.body_bytes > 0 && !looks_like_json => {
                probes.capture.get_or_insert_with(|| id.to_owned());
            }
            200..=299 | 400..=499 => {
                probes.no_capture.get_or_insert_with(|| id.to_owned());
            }
            _ => {}
        }
    }

    /// A recent, fresh events answer: `/api/v1/events?minutesTimeFrame={fresh:20000}`.
    pub async fn recent_events(&self) -> Result<Arc<Sent>, String> {
        let request = Request {
            endpoint: Some(Endpoint::Events),
            path: None,
            query: Template::parse("minutesTimeFrame={fresh:20000}").map_err(|e| e.to_string())?,
            auth: Auth::Token,
        };
        let resolved = Box::pin(self.resolve(&request, Endpoint::Events, None, 0)).await?;
        Ok(self.fetch(&resolved).await)
    }

    async fn recent_types(&self) -> Result<Vec<String>, String> {
        let sent = self.recent_events().await?;
        let answer = listed("the recent events", &sent)?;
        Ok(event_types(answer))
    }

    async fn find_old_type(&self) -> Result<String, String> {
        let recent = self.recent_types().await.unwrap_or_default();
        let candidates: Vec<String> = self
            .contract
            .titles
            .types()
            .filter(|t| !recent.iter().any(|r| r == t))
            .map(str::to_owned)
            .take(OLD_TYPE_PROBES)
            .collect();
        let edge = self.clock.sensor_now_ms() - OLDER_THAN_CAP_MS;
        for kind in &candidates {
            let resolved = Resolved {
                endpoint: Endpoint::Events,
                path: "/api/v1/events".to_owned(),
                query: format!("type={kind}"),
                credential: Credential::Api,
                pinned: false,
                fresh: false,
            };
            let sent = self.fetch(&resolved).await;
            let old = sent_items(&sent)
                .iter()
                .any(|i| i.time.is_some_and(|t| t < edge));
            if old {
                return Ok(kind.clone());
            }
        }
        Err(format!(
            "no event older than three days seen: none of the {} rare types probed without a \
             window shows one",
            candidates.len()
        ))
    }

    async fn mixed_type(&self) -> Result<String, String> {
        let types = self.recent_types().await?;
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for kind in &types {
            *counts.entry(kind).or_default() += 1;
        }
        if counts.len() < 2 {
            return Err("the recent events hold fewer than two types".to_owned());
        }
        let (kind, _) = counts
            .into_iter()
            .max_by_key(|(k, n)| (*n, std::cmp::Reverse(*k)))
            .unwrap_or_default();
        Ok(kind.to_owned())
    }
}

fn no_pcap_token() -> String {
    "no pcap token: give --pcap-token, --pcap-token-file or SENSOR_PCAP_TOKEN (pcap-token-env \
     or pcap-token-file in a targets file)"
        .to_owned()
}

/// The answer in `sent` when it is a 2xx list.
fn listed<'a>(what: &str, sent: &'a Sent) -> Result<&'a Answer, String> {
    match sent {
        Ok(answer) if answer.status / 100 == 2 && answer.items().is_some() => Ok(answer),
        Ok(answer) => Err(format!(
            "{what} answered {} with {}",
            answer.status,
            answer.describe_body()
        )),
        Err(error) => Err(format!("{what} could not be fetched: {}", error.message)),
    }
}

fn event_types(answer: &Answer) -> Vec<String> {
    let items = answer.items().unwrap_or_default();
    items
        .iter()
        .filter_map(|i| i.value.as_ref()?.get("type")?.as_str().map(str::to_owned))
        .collect()
}
