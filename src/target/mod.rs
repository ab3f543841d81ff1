//! Talking to a target: the HTTP client, the answers it keeps, and the sensor's clock.

mod answer;
mod client;
mod clock;
mod handshake;
mod json;

pub use answer::{Answer, Body, Exchange, Item, Json, JsonShape};
pub(crate) use client::chain;
pub use client::{
    Client, ClientOptions, Credential, Credentials, Sent, TransportError, TransportKind, sent_items,
};
pub use clock::{Clock, now_ms};
pub use json::{Memo, Profile, Reading, read as read_json};
