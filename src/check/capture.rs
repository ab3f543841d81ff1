//! Whether a body is a well-formed capture file: classic pcap or pcapng, every record whole.

/// Records longer than this are not plausible packets.
const LONGEST_RECORD: u32 = 256 * 1024;

/// Checks `bytes`; `Ok` says what the capture holds, `Err` what is wrong and where.
pub fn check(bytes: &[u8]) -> Result<String, String> {
    let magic = bytes
        .get(..4)
        .ok_or_else(|| format!("{} bytes: too short for a capture", bytes.len()))?;
    match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => classic(bytes, Endian::Little, 1_000_000),
        [0xa1, 0xb2, 0xc3, 0xd4] => classic(bytes, Endian::Big, 1_000_000),
        [0x4d, 0x3c, 0xb2, 0xa1] => classic(bytes, Endian::Little, 1_000_000_000),
        [0xa1, 0xb2, 0x3c, 0x4d] => classic(bytes, Endian::Big, 1_000_000_000),
        [0x0a, 0x0d, 0x0d, 0x0a] => pcapng(bytes),
        other => Err(format!(
            "starts with {other:02x?}, which is neither pcap nor pcapng magic"
        )),
    }
}

#[derive(Clone, Copy)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let word: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(word),
            Endian::Big => u32::from_be_bytes(word),
        })
    }
}

fn classic(bytes: &[u8], endian: Endian, fraction: u32) -> Result<String, String> {
    if bytes.len() < 24 {
        return Err(format!(
            "{} bytes: a pcap file header needs 24",
            bytes.len()
        ));
    }
    let mut at = 24;
    let mut records = 0;
    while at < bytes.len() {
        at = classic_record(bytes, at, endian, fraction)
            .map_err(|e| format!("record {}: {e}", records + 1))?;
        records += 1;
    }
    Ok(format!(
        "a pcap capture of {records} record{}",
        plural(records)
    ))
}

fn classic_record(bytes: &[u8], at: usize, endian: Endian, fraction: u32) -> Result<usize, String> {
    let header = |offset| endian.u32(bytes, at + offset);
    let (Some(_), Some(sub), Some(included), Some(original)) =
        (header(0), header(4), header(8), header(12))
    else {
        return Err(format!(
            "its 16-byte header is cut off at byte {}",
            bytes.len()
        ));
    };
    if sub >= fraction {
        return Err(format!("sub-second time {sub} is not below {fraction}"));
    }
    if included > LONGEST_RECORD || included > original {
        return Err(format!("captured length {included} is implausible"));
    }
    let end = at + 16 + included as usize;
    if end > bytes.len() {
        return Err(format!(
            "says {included} bytes but only {} follow",
            bytes.len().saturating_sub(at + 16)
        ));
    }
    Ok(end)
}

fn pcapng(bytes: &[u8]) -> Result<String, String> {
    let mut at = 0;
    let mut blocks = 0;
    let mut endian = Endian::Little;
    while at < bytes.len() {
        let (next, block_endian) = pcapng_block(bytes, at, endian)
            .map_err(|e| format!("block {} at byte {at}: {e}", blocks + 1))?;
        endian = block_endian;
        at = next;
        blocks += 1;
    }
    Ok(format!(
        "a pcapng capture of {blocks} block{}",
        plural(blocks)
    ))
}

fn pcapng_block(bytes: &[u8], at: usize, endian: Endian) -> Result<(usize, Endian), String> {
    let is_section = bytes.get(at..at + 4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]);
    let endian = if is_section {
        section_endian(bytes, at)?
    } else {
        endian
    };
    if at == 0 && !is_section {
        return Err("a pcapng file must start with a section header block".to_owned());
    }
    let total = endian.u32(bytes, at + 4).ok_or("its length is cut off")? as usize;
    if total < 12 || !total.is_multiple_of(4) {
        return Err(format!(
            "length {total} is not a multiple of 4 of at least 12"
        ));
    }
    let end = at
        .checked_add(total)
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| format!("says {total} bytes but only {} follow", bytes.len() - at))?;
    if endian.u32(bytes, end - 4) != Some(total as u32) {
        return Err("its trailing length does not repeat its leading length".to_owned());
    }
    Ok((end, endian))
}

fn section_endian(bytes: &[u8], at: usize) -> Result<Endian, String> {
    match bytes.get(at + 8..at + 12) {
        Some([0x4d, 0x3c, 0x2b, 0x1a]) => Ok(Endian::Little),
        Some([0x1a, 0x2b, 0x3c, 0x4d]) => Ok(Endian::Big),
        _ => Err("its section header has no byte-order magic".to_owned()),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap(records: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        out.extend([0; 8]);
        out.extend(65535u32.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        for data in records {
            out.extend(1u32.to_le_bytes());
            out.extend(5u32.to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend(*data);
        }
        out
    }

    #[test]
    fn accepts_whole_pcap() {
        assert_eq!(
            check(&pcap(&[b"abcd", b"ef"])).unwrap(),
            "a pcap capture of 2 records"
        );
    }

    #[test]
    fn rejects_truncated_record() {
        let mut bytes = pcap(&[b"abcdef"]);
        bytes.truncate(bytes.len() - 2);
        assert!(check(&bytes).unwrap_err().contains("only 4 follow"));
    }

    #[test]
    fn rejects_json_and_short_bodies() {
        assert!(check(br#"{"error": "x"}"#).is_err());
        assert!(check(b"ab").is_err());
    }

    #[test]
    fn accepts_minimal_pcapng() {
        let mut shb = vec![0x0a, 0x0d, 0x0d, 0x0a];
        shb.extend(28u32.to_le_bytes());
        shb.extend([0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0]);
        shb.extend((-1i64).to_le_bytes());
        shb.extend(28u32.to_le_bytes());
        assert_eq!(check(&shb).unwrap(), "a pcapng capture of 1 block");
        shb.truncate(20);
        assert!(check(&shb).is_err());
    }
}
