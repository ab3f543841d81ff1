//! Request templates: a path or query string with placeholders the run fills in.
//!
//! `{value}` is the case's current value, inserted as written (never re-encoded);
//! `{pin}` a `toTime` two minutes before the sensor's clock at the start of the run;
//! `{fresh:N}` N plus this run's salt, a value no recent run has sent; the other names are
//! facts the run learns from the target (see [`Fact`]).

/// Something the run learns from the target before a template can be filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fact {
    /// The `time` of a real alert from the pinned list.
    AlertTime,
    /// The id of an alert known to have a capture.
    CaptureId,
    /// The id of an alert known to have no capture.
    NoCaptureId,
    /// An alert id above every id the target has shown.
    UnknownId,
    /// An event type whose unwindowed answer shows an event older than three days.
    OldType,
    /// An event type present in, but not the whole of, a recent events answer.
    MixedType,
}

impl Fact {
    const NAMES: &[(&str, Fact)] = &[
        ("alert.time", Fact::AlertTime),
        ("capture.id", Fact::CaptureId),
        ("no-capture.id", Fact::NoCaptureId),
        ("unknown.id", Fact::UnknownId),
        ("old-type", Fact::OldType),
        ("mixed-type", Fact::MixedType),
    ];

    fn from_name(name: &str) -> Option<Fact> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Value,
    Pin,
    Fresh(u64),
    Fact(Fact),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text`; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("`{{` without a closing `}}` in `{text}`"))?;
            pieces.push(placeholder(&rest[open + 1..open + close])?);
            rest = &rest[open + close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("`}}` without an opening `{{` in `{text}`"));
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Template { pieces })
    }

    pub fn uses_value(&self) -> bool {
        self.pieces.contains(&Piece::Value)
    }

    pub fn facts(&self) -> impl Iterator<Item = Fact> + '_ {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Fact(f) => Some(*f),
            _ => None,
        })
    }
}

/// The largest base of `{fresh:N}`: its values, the base plus a salt and a step per try, stay
/// far from the end of 64 bits.
const LARGEST_FRESH: u64 = 1_000_000_000_000_000;

fn placeholder(name: &str) -> Result<Piece, String> {
    if let Some(base) = name.strip_prefix("fresh:") {
        let base = base
            .parse()
            .ok()
            .filter(|base| *base <= LARGEST_FRESH)
            .ok_or_else(|| {
                format!("`{{{name}}}`: fresh takes a whole number up to {LARGEST_FRESH}")
            })?;
        return Ok(Piece::Fresh(base));
    }
    match name {
        "value" => Ok(Piece::Value),
        "pin" => Ok(Piece::Pin),
        _ => Fact::from_name(name).map(Piece::Fact).ok_or_else(|| {
            let known: Vec<_> = Fact::NAMES.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown placeholder `{{{name}}}`; known: value, pin, fresh:N, {}",
                known.join(", ")
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_and_placeholders() {
        let t = Template::parse("state={value}&toTime={pin}&m={fresh:1000}").unwrap();
        assert_eq!(
            t.pieces,
            vec![
                Piece::Text("state=".into()),
                Piece::Value,
                Piece::Text("&toTime=".into()),
                Piece::Pin,
                Piece::Text("&m=".into()),
                Piece::Fresh(1000),
            ]
        );
    }

    #[test]
    fn rejects_unknown_and_unbalanced_placeholders() {
        assert!(
            Template::parse("x={nope}")
                .unwrap_err()
                .contains("unknown placeholder")
        );
        assert!(Template::parse("x={value").is_err());
        assert!(Template::parse("x=value}").is_err());
        assert!(Template::parse("x={fresh:abc}").is_err());
        assert!(Template::parse("x={fresh:18446744073709551615}").is_err());
        assert!(Template::parse("x={fresh:1000000000000000}").is_ok());
    }
}
