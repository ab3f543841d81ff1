//! Query parameters as the sensor reads them: decoded from the raw query string, the first
//! occurrence of a repeated name winning, numbers read without ever failing on their size.

/// The parameters of one request, decoded, in the order they were given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes a raw query string (without the `?`); `+` decodes to a space.
    pub fn parse(raw: &str) -> Self {
        let pairs = form_urlencoded::parse(raw.as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Self { pairs }
    }

    /// The value of the first occurrence of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(given, _)| given == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first of `names` to appear in the query, if any does.
    pub fn first_of<'n>(&self, names: &[&'n str]) -> Option<&'n str> {
        self.pairs
            .iter()
            .find_map(|(given, _)| names.iter().copied().find(|name| name == given))
    }

    /// Every parameter, sorted, so that the order they were given in does not matter.
    pub fn sorted(&self) -> Vec<(&str, &str)> {
        let mut pairs: Vec<_> = self
            .pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        pairs.sort_unstable();
        pairs
    }
}

/// A numeric parameter as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    /// The parameter is not in the query.
    Absent,
    /// The parameter has no value (`minutesTimeFrame=`, as in the page's own example).
    Empty,
    /// An integer, clamped to the range of `i64` however many digits it has.
    Value(i64),
    /// Anything else.
    Malformed,
}

impl Number {
    /// Reads an optional parameter value: an optional sign and at least one ASCII digit.
    pub fn read(value: Option<&str>) -> Self {
        match value {
            None => Number::Absent,
            Some("") => Number::Empty,
            Some(text) => saturating_integer(text).map_or(Number::Malformed, Number::Value),
        }
    }
}

fn saturating_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let limit = if negative { i64::MIN } else { i64::MAX };
    let mut value: i64 = 0;
    for digit in digits {
        let digit = i64::from(digit - b'0');
        let next = value.checked_mul(10).and_then(|tens| {
            if negative {
                tens.checked_sub(digit)
            } else {
                tens.checked_add(digit)
            }
        });
        // Past 64 bits the value only moves further away: it stays at the limit.
        value = next.unwrap_or(limit);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_keeps_the_first_occurrence() {
        let query = Query::parse("state=handled&type=unexpected%20new%20devices&state=x");
        assert_eq!(query.first("state"), Some("handled"));
        assert_eq!(query.first("type"), Some("unexpected new devices"));
        assert_eq!(query.first("fromTime"), None);
        assert_eq!(Query::parse("type=a+b").first("type"), Some("a b"));
    }

    #[test]
    fn a_name_without_value_is_empty() {
        let query = Query::parse("type=REMOTE_ACCESS&minutesTimeFrame");
        assert_eq!(query.first("minutesTimeFrame"), Some(""));
    }

    #[test]
    fn first_of_follows_the_query_order() {
        let query = Query::parse("x=1&toTime=5&state=handled");
        assert_eq!(query.first_of(&["state", "toTime"]), Some("toTime"));
        assert_eq!(query.first_of(&["type"]), None);
    }

    #[test]
    fn sorted_ignores_order() {
        assert_eq!(
            Query::parse("a=1&b=2").sorted(),
            Query::parse("b=2&a=1").sorted()
        );
        assert_ne!(
            Query::parse("a=1&b=2").sorted(),
            Query::parse("a=2&b=1").sorted()
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(Number::read(None), Number::Absent);
        assert_eq!(Number::read(Some("")), Number::Empty);
        assert_eq!(Number::read(Some("20")), Number::Value(20));
        assert_eq!(Number::read(Some("-20")), Number::Value(-20));
        assert_eq!(Number::read(Some("+7")), Number::Value(7));
        for odd in ["abc", "12a", " 12", "12 ", "-", "1e3", "1.5", "0x10"] {
            assert_eq!(Number::read(Some(odd)), Number::Malformed, "{odd}");
        }
    }

    #[test]
    fn huge_numbers_saturate() {
        let thirty = "123456789012345678901234567890";
        assert_eq!(Number::read(Some(thirty)), Number::Value(i64::MAX));
        let negative = format!("-{thirty}");
        assert_eq!(Number::read(Some(&negative)), Number::Value(i64::MIN));
        let max = i64::MAX.to_string();
        assert_eq!(Number::read(Some(&max)), Number::Value(i64::MAX));
    }
}
