//! The simulated plant network the dataset describes: its devices, their addresses and
//! vendors, and the people who operate the sensor. A device's properties depend on its id
//! only, so the same device reads the same in every alert, event and capture.

use std::fmt;

/// Devices 1 to this number are part of the learned baseline of the plant.
pub const KNOWN_DEVICES: u32 = 240;

/// Devices above [`KNOWN_DEVICES`] up to this number are the ones that appear unexpectedly.
pub const ALL_DEVICES: u32 = 400;

/// A network address as the sensor reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    /// An IPv4 address.
    V4([u8; 4]),
    /// An address of the plant's IPv6 prefix, by host number.
    V6(u16),
    /// A hardware address of a device seen only at layer 2.
    Mac([u8; 6]),
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::V4([a, b, c, d]) => write!(f, "{a}.{b}.{c}.{d}"),
            Address::V6(host) => write!(f, "fd00:6f7:10::{host:x}"),
            Address::Mac(bytes) => write_mac(f, bytes),
        }
    }
}

fn write_mac(f: &mut fmt::Formatter<'_>, bytes: &[u8; 6]) -> fmt::Result {
    for (index, byte) in bytes.iter().enumerate() {
        if index > 0 {
            f.write_str(":")?;
        }
        write!(f, "{byte:02x}")?;
    }
    Ok(())
}

/// A device of the plant, known to the sensor by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// The sensor's device id.
    pub id: u32,
}

impl Device {
    /// The address the sensor reports for the device.
    pub fn address(&self) -> Address {
        if self.id.is_multiple_of(37) {
            Address::V6(self.id as u16)
        } else if self.id > KNOWN_DEVICES && self.id.is_multiple_of(3) {
            Address::Mac(self.mac())
        } else {
            Address::V4(self.ipv4())
        }
    }

    /// The IPv4 address the device uses on the wire, whatever the sensor reports.
    pub fn ipv4(&self) -> [u8; 4] {
        [
            192,
            168,
            1 + (self.id / 100) as u8,
            10 + (self.id % 100) as u8,
        ]
    }

    /// The hardware address: the vendor's prefix and the device id.
    pub fn mac(&self) -> [u8; 6] {
        let (_, prefix) = self.vendor_entry();
        let id = self.id.to_be_bytes();
        [prefix[0], prefix[1], prefix[2], id[1], id[2], id[3]]
    }

    /// The device's manufacturer.
    pub fn vendor(&self) -> &'static str {
        self.vendor_entry().0
    }

    fn vendor_entry(&self) -> (&'static str, [u8; 3]) {
        VENDORS[self.id as usize % VENDORS.len()]
    }
}

/// Manufacturers of the plant's devices with their hardware address prefixes.
const VENDORS: [(&str, [u8; 3]); 6] = [
    ("Siemens", [0x00, 0x1b, 0x1b]),
    ("Rockwell Automation", [0x00, 0x1d, 0x9c]),
    ("Schneider Electric", [0x00, 0x80, 0xf4]),
    ("Phoenix Contact", [0x00, 0xa0, 0x45]),
    ("Hirschmann", [0x00, 0x80, 0x63]),
    ("Moxa", [0x00, 0x90, 0xe8]),
];

/// Addresses on the Internet that plant devices are seen reaching.
pub const EXTERNAL_ADDRESSES: [Address; 5] = [
    Address::V4([170, 60, 50, 201]),
    Address::V4([52, 114, 132, 73]),
    Address::V4([185, 199, 108, 153]),
    Address::V4([91, 189, 91, 38]),
    Address::V4([104, 18, 32, 7]),
];

/// Users of the sensor's console, the owners of manually created events.
pub const OPERATORS: [&str; 5] = ["admin", "cyberx", "support", "m.keller", "s.ortega"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_the_api_shows_them() {
        assert_eq!(Device { id: 17 }.address().to_string(), "192.168.1.27");
        assert_eq!(Device { id: 74 }.address().to_string(), "fd00:6f7:10::4a");
        assert_eq!(
            Device { id: 243 }.address().to_string(),
            "00:a0:45:00:00:f3"
        );
    }

    #[test]
    fn every_device_has_a_wire_address() {
        for id in 1..=ALL_DEVICES {
            let [a, b, _, _] = Device { id }.ipv4();
            assert_eq!((a, b), (192, 168));
        }
    }
}
