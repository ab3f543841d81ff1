//! Message templates with named slots, written straight into the output without building an
//! intermediate string, which keeps large alert answers fast.

use std::fmt;

/// Supplies the value of a named slot such as `{src}`.
pub trait Slots {
    /// Writes the value of the slot `name`; an unknown name writes nothing.
    fn write_slot(&self, name: &str, out: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// A template with its slots filled in, displayed lazily.
pub struct Fill<'a, S: Slots> {
    template: &'a str,
    slots: &'a S,
}

impl<'a, S: Slots> Fill<'a, S> {
    /// The template `template` with slot values from `slots`.
    pub fn new(template: &'a str, slots: &'a S) -> Self {
        Self { template, slots }
    }
}

impl<S: Slots> fmt::Display for Fill<'_, S> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.template;
        while let Some(open) = rest.find('{') {
            out.write_str(&rest[..open])?;
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                // An unclosed brace is text, not a slot.
                return out.write_str(&rest[open..]);
            };
            self.slots.write_slot(&after[..close], out)?;
            rest = &after[close + 1..];
        }
        out.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pair;

    impl Slots for Pair {
        fn write_slot(&self, name: &str, out: &mut fmt::Formatter<'_>) -> fmt::Result {
            match name {
                "src" => out.write_str("10.0.0.1"),
                "n" => write!(out, "{}", 42),
                _ => Ok(()),
            }
        }
    }

    #[test]
    fn fills_every_slot() {
        let text = Fill::new("from {src} code {n}.", &Pair).to_string();
        assert_eq!(text, "from 10.0.0.1 code 42.");
    }

    #[test]
    fn unknown_and_unclosed_slots() {
        assert_eq!(Fill::new("a{zz}b", &Pair).to_string(), "ab");
        assert_eq!(Fill::new("a{src", &Pair).to_string(), "a{src");
        assert_eq!(Fill::new("plain", &Pair).to_string(), "plain");
    }
}
