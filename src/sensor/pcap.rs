//! Capture files of alerts: classic pcap (little-endian, microseconds, Ethernet) holding the
//! Modbus/TCP exchange between the alert's two devices around the time it was raised.

use super::alerts::{Alert, Party};
use super::plant::{Device, KNOWN_DEVICES};
use super::random::{Draw, Stream};

/// The pcap magic number; written little-endian it tells readers the byte order.
const MAGIC: u32 = 0xa1b2_c3d4;
const SNAPLEN: u32 = 65_535;
const LINKTYPE_ETHERNET: u32 = 1;
const MODBUS_PORT: u16 = 502;
const READ_HOLDING_REGISTERS: u8 = 0x03;

/// The capture of an alert. With `cut_last_record` (fault P1) the last record claims more
/// bytes than follow it.
pub fn capture(seed: u64, alert: &Alert, cut_last_record: bool) -> Vec<u8> {
    let mut draw = Draw::new(seed, Stream::Capture, alert.id);
    let mut exchange = Exchange::new(alert, &mut draw);
    let records = draw.between(3, 8);
    let mut out = global_header();
    let mut micros = (alert.time - 1_500).max(0) as u64 * 1_000 + draw.below(1_000);
    for index in 0..records {
        let packet = exchange.packet(index, &mut draw);
        let last = index + 1 == records;
        write_record(&mut out, micros, &packet, last && cut_last_record);
        micros += draw.between(2_000, 400_000);
    }
    out
}

fn global_header() -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone: timestamps are UTC
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&SNAPLEN.to_le_bytes());
    out.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    out
}

fn write_record(out: &mut Vec<u8>, micros: u64, packet: &[u8], cut: bool) {
    let length = packet.len() as u32;
    out.extend_from_slice(&((micros / 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&length.to_le_bytes()); // incl_len
    out.extend_from_slice(&length.to_le_bytes()); // orig_len
    let kept = if cut { packet.len() / 2 } else { packet.len() };
    out.extend_from_slice(&packet[..kept]);
}

/// One side of the TCP connection.
struct Host {
    mac: [u8; 6],
    ip: [u8; 4],
    port: u16,
    sequence: u32,
}

/// A Modbus/TCP conversation: the master polls registers, the slave answers.
struct Exchange {
    master: Host,
    slave: Host,
    transaction: u16,
    register: u16,
}

impl Exchange {
    fn new(alert: &Alert, draw: &mut Draw) -> Self {
        let master = device_of(alert.source, 1);
        let slave = device_of(alert.destination, master.id % KNOWN_DEVICES + 1);
        Self {
            master: host(master, draw.between(49_152, 65_000) as u16, draw),
            slave: host(slave, MODBUS_PORT, draw),
            transaction: draw.below(u64::from(u16::MAX)) as u16,
            register: draw.below(4_000) as u16,
        }
    }

    /// The packet at `index`: requests at even positions, their responses at odd ones.
    fn packet(&mut self, index: u64, draw: &mut Draw) -> Vec<u8> {
        let transaction = self.transaction.wrapping_add((index / 2) as u16);
        if index.is_multiple_of(2) {
            let payload = request(transaction, self.register);
            segment(&mut self.master, &self.slave, &payload)
        } else {
            let payload = response(transaction, draw);
            segment(&mut self.slave, &self.master, &payload)
        }
    }
}

fn device_of(party: Option<Party>, fallback: u32) -> Device {
    party
        .and_then(|party| party.device)
        .unwrap_or(Device { id: fallback })
}

fn host(device: Device, port: u16, draw: &mut Draw) -> Host {
    Host {
        mac: device.mac(),
        ip: device.ipv4(),
        port,
        sequence: draw.bits() as u32,
    }
}

/// A read of ten holding registers.
fn request(transaction: u16, register: u16) -> Vec<u8> {
    let mut pdu = vec![READ_HOLDING_REGISTERS];
    pdu.extend_from_slice(&register.to_be_bytes());
    pdu.extend_from_slice(&10u16.to_be_bytes());
    mbap(transaction, &pdu)
}

/// The answer to [`request`]: ten register values.
fn response(transaction: u16, draw: &mut Draw) -> Vec<u8> {
    let mut pdu = vec![READ_HOLDING_REGISTERS, 20];
    for _ in 0..10 {
        pdu.extend_from_slice(&(draw.below(1_000) as u16).to_be_bytes());
    }
    mbap(transaction, &pdu)
}

/// The Modbus application header: transaction, protocol 0, length, unit 1, then the PDU.
fn mbap(transaction: u16, pdu: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(7 + pdu.len());
    out.extend_from_slice(&transaction.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&(pdu.len() as u16 + 1).to_be_bytes());
    out.push(1);
    out.extend_from_slice(pdu);
    out
}

/// An Ethernet frame carrying an IPv4 TCP segment with PSH and ACK set.
fn segment(from: &mut Host, to: &Host, payload: &[u8]) -> Vec<u8> {
    let tcp = tcp_segment(from, to, payload);
    let ip = ipv4_header(from.ip, to.ip, tcp.len(), from.sequence as u16);
    from.sequence = from.sequence.wrapping_add(payload.len() as u32);
    let mut frame = Vec::with_capacity(14 + ip.len() + tcp.len());
    frame.extend_from_slice(&to.mac);
    frame.extend_from_slice(&from.mac);
    frame.extend_from_slice(&0x0800u16.to_be_bytes());
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&tcp);
    frame
}

fn ipv4_header(source: [u8; 4], destination: [u8; 4], tcp_length: usize, id: u16) -> Vec<u8> {
    let total = (20 + tcp_length) as u16;
    let mut header = vec![0x45, 0];
    header.extend_from_slice(&total.to_be_bytes());
    header.extend_from_slice(&id.to_be_bytes());
    header.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
    header.extend_from_slice(&[64, 6, 0, 0]); // TTL, TCP, checksum placeholder
    header.extend_from_slice(&source);
    header.extend_from_slice(&destination);
    let checksum = internet_checksum(&[&header]);
    header[10..12].copy_from_slice(&checksum.to_be_bytes());
    header
}

fn tcp_segment(from: &Host, to: &Host, payload: &[u8]) -> Vec<u8> {
    let mut segment = Vec::with_capacity(20 + payload.len());
    segment.extend_from_slice(&from.port.to_be_bytes());
    segment.extend_from_slice(&to.port.to_be_bytes());
    segment.extend_from_slice(&from.sequence.to_be_bytes());
    segment.extend_from_slice(&to.sequence.to_be_bytes());
    segment.extend_from_slice(&[0x50, 0x18]); // 20-byte header; PSH, ACK
    segment.extend_from_slice(&64_240u16.to_be_bytes());
    segment.extend_from_slice(&[0, 0, 0, 0]); // checksum placeholder, urgent pointer
    segment.extend_from_slice(payload);
    let pseudo = pseudo_header(from.ip, to.ip, segment.len());
    let checksum = internet_checksum(&[&pseudo, &segment]);
    segment[16..18].copy_from_slice(&checksum.to_be_bytes());
    segment
}

fn pseudo_header(source: [u8; 4], destination: [u8; 4], length: usize) -> Vec<u8> {
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&source);
    pseudo.extend_from_slice(&destination);
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(length as u16).to_be_bytes());
    pseudo
}

/// The ones' complement checksum of IPv4 and TCP over the concatenated parts.
fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let bytes = parts.iter().flat_map(|part| part.iter().copied());
    let mut sum: u32 = 0;
    let mut high = None;
    for byte in bytes {
        match high.take() {
            None => high = Some(byte),
            Some(first) => sum += u32::from(u16::from_be_bytes([first, byte])),
        }
    }
    if let Some(first) = high {
        sum += u32::from(first) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::super::alerts::AlertHistory;
    use super::*;

    struct Record<'a> {
        micros: u64,
        included: usize,
        data: &'a [u8],
    }

    /// Reads a capture back, failing on anything a pcap reader would reject.
    fn parse(file: &[u8]) -> Result<Vec<Record<'_>>, String> {
        let word = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
        if file.len() < 24 || word(0) != MAGIC {
            return Err("bad global header".into());
        }
        if file[4..8] != [2, 0, 4, 0] || word(16) != SNAPLEN || word(20) != 1 {
            return Err("bad version, snaplen or link type".into());
        }
        let mut records = Vec::new();
        let mut at = 24;
        while at < file.len() {
            if at + 16 > file.len() {
                return Err("cut record header".into());
            }
            let included = word(at + 8) as usize;
            let data = file.get(at + 16..at + 16 + included).ok_or("cut record")?;
            let micros = u64::from(word(at)) * 1_000_000 + u64::from(word(at + 4));
            records.push(Record {
                micros,
                included,
                data,
            });
            at += 16 + included;
        }
        Ok(records)
    }

    fn alert(id: u64) -> Alert {
        AlertHistory::new(1, 1_750_000_000_000, 600, true).alert(id)
    }

    #[test]
    fn captures_are_well_formed_modbus() {
        for id in [3, 6, 99, 300] {
            let alert = alert(id);
            let file = capture(1, &alert, false);
            let records = parse(&file).unwrap();
            assert!((3..=8).contains(&records.len()));
            for record in &records {
                let frame = record.data;
                assert_eq!(frame.len(), record.included);
                assert_eq!(frame[12..14], [0x08, 0x00]);
                assert_eq!(internet_checksum(&[&frame[14..34]]), 0);
                let ports = [&frame[34..36], &frame[36..38]];
                assert!(ports.contains(&&MODBUS_PORT.to_be_bytes()[..]));
            }
            let first = records[0].micros as i64 / 1000;
            assert!((first - alert.time).abs() < 5_000);
        }
    }

    #[test]
    fn tcp_checksums_verify() {
        let file = capture(1, &alert(9), false);
        for record in parse(&file).unwrap() {
            let ip = &record.data[14..34];
            let tcp = &record.data[34..];
            let pseudo = pseudo_header(
                ip[12..16].try_into().unwrap(),
                ip[16..20].try_into().unwrap(),
                tcp.len(),
            );
            assert_eq!(internet_checksum(&[&pseudo, tcp]), 0);
        }
    }

    #[test]
    fn captures_are_deterministic() {
        assert_eq!(capture(1, &alert(3), false), capture(1, &alert(3), false));
        assert_ne!(capture(1, &alert(3), false), capture(1, &alert(6), false));
    }

    #[test]
    fn a_cut_capture_fails_to_parse() {
        let file = capture(1, &alert(3), true);
        assert_eq!(parse(&file).err().as_deref(), Some("cut record"));
    }

    #[test]
    fn checksum_of_odd_length() {
        assert_eq!(internet_checksum(&[&[0x01]]), !0x0100);
    }
}
