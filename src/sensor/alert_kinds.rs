//! The kinds of alert the reference sensor raises: title, engine, message and remediation as an
//! OT sensor words them. Slots in the templates: `{src}` and `{dst}` (the addresses of the two
//! sides), `{n}` (the kind's number: a function code, a count) and `{vendor}` (of the source).

/// The alert types the page lets clients filter on, and everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `type=unexpected new devices`.
    NewDevices,
    /// `type=disconnections`.
    Disconnections,
    /// Every other alert.
    Other,
}

impl Category {
    /// The category a `type` value selects, if the page supports it.
    pub fn from_filter(value: &str) -> Option<Category> {
        match value {
            "unexpected new devices" => Some(Category::NewDevices),
            "disconnections" => Some(Category::Disconnections),
            _ => None,
        }
    }
}

/// What one side of an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A device of the learned baseline.
    Known,
    /// A device that is not in the baseline.
    New,
    /// An address on the Internet, not a device of the plant.
    External,
    /// Nothing: the alert names no device on this side.
    Absent,
}

/// One kind of alert.
#[derive(Debug)]
pub struct AlertKind {
    /// The alert type it belongs to.
    pub category: Category,
    /// The alert's title.
    pub title: &'static str,
    /// The detection engine that raises it.
    pub engine: &'static str,
    /// The severities it is raised with.
    pub severities: &'static [&'static str],
    /// The template of the message.
    pub message: &'static str,
    /// The description and the information lines of `additionalInformation`, if any.
    pub information: Option<(&'static str, &'static [&'static str])>,
    /// The remediation steps (`/api/v2/alerts`).
    pub remediation: &'static [&'static str],
    /// What the source is.
    pub source: Side,
    /// What the destination is.
    pub destination: Side,
    /// The range of the `{n}` slot.
    pub numbers: (u32, u32),
}

/// Kinds of the category "unexpected new devices".
pub const NEW_DEVICE_KINDS: &[AlertKind] = &[
    AlertKind {
        category: Category::NewDevices,
        title: "Unauthorized Device Detected",
        engine: "Policy Violation",
        severities: &["Major", "Critical"],
        message: "An unauthorized device {src} ({vendor}) was detected on the network.\nThe \
                  device is not part of the approved asset inventory.\nIt is recommended to \
                  notify the security officer of the incident.",
        information: Some(("New Device", &["Address: {src}", "Vendor: {vendor}"])),
        remediation: &[
            "Verify that the device is authorized to connect to this network.",
            "If it is not, disconnect the device and notify the security officer.",
        ],
        source: Side::New,
        destination: Side::Absent,
        numbers: (0, 0),
    },
    AlertKind {
        category: Category::NewDevices,
        title: "New Asset Detected",
        engine: "Policy Violation",
        severities: &["Major", "Minor"],
        message: "A new asset {src} was detected communicating with {dst}.\nThe asset was not \
                  seen during the learning period.",
        information: None,
        remediation: &[
            "Approve the asset if it is expected; otherwise locate it and remove it from the \
             network.",
        ],
        source: Side::New,
        destination: Side::Known,
        numbers: (0, 0),
    },
];

/// Kinds of the category "disconnections".
pub const DISCONNECTION_KINDS: &[AlertKind] = &[
    AlertKind {
        category: Category::Disconnections,
        title: "Device is Suspected to be Disconnected (Unresponsive)",
        engine: "Operational",
        severities: &["Major"],
        message: "Device {src} is suspected to be disconnected (unresponsive).",
        information: Some(("Last Activity", &["No traffic seen for {n} minutes"])),
        remediation: &[
            "Check the device's power supply and network connection.",
            "Verify that the device answers the polling of its master.",
        ],
        source: Side::Known,
        destination: Side::Absent,
        numbers: (5, 90),
    },
    AlertKind {
        category: Category::Disconnections,
        title: "Device is Suspected to be Disconnected (Unresponsive)",
        engine: "Operational",
        severities: &["Major", "Minor"],
        message: "Device {dst} stopped answering requests from {src} and is suspected to be \
                  disconnected (unresponsive).",
        information: None,
        remediation: &["Check the device's power supply and network connection."],
        source: Side::Known,
        destination: Side::Known,
        numbers: (0, 0),
    },
];

/// Kinds of every other alert: protocol and policy violations, malware, anomalies.
pub const OTHER_KINDS: &[AlertKind] = &[
    AlertKind {
        category: Category::Other,
        title: "Unauthorized MODBUS Function Code",
        engine: "Policy Violation",
        severities: &["Major"],
        message: "A MODBUS master {src} attempted to send function code {n} to {dst}, which is \
                  not allowed by policy.\nIt is recommended to notify the security officer of \
                  the incident.",
        information: Some(("Function Codes", &["{n}"])),
        remediation: &[
            "Verify that the master is allowed to use this function code.",
            "Update the policy if the operation is legitimate.",
        ],
        source: Side::Known,
        destination: Side::Known,
        numbers: (5, 23),
    },
    AlertKind {
        category: Category::Other,
        title: "Illegal MODBUS Operation (Exception Raised by Master)",
        engine: "Protocol Violation",
        severities: &["Major", "Minor"],
        message: "A MODBUS master {src} attempted to initiate an illegal operation.\nThe \
                  operation is considered to be illegal since it incorporated function code {n} \
                  which should not be used by a master.\nIt is recommended to notify the \
                  security officer of the incident.",
        information: None,
        remediation: &["Inspect the master's configuration and firmware."],
        source: Side::Known,
        destination: Side::Known,
        numbers: (128, 140),
    },
    AlertKind {
        category: Category::Other,
        title: "Unauthorized DNP3 Request",
        engine: "Policy Violation",
        severities: &["Major", "Critical"],
        message: "A DNP3 Master {src} attempted to initiate a request which is not allowed by \
                  policy.\nThe policy indicates the allowed function codes, address ranges, \
                  point indexes and time intervals.\nIt is recommended to notify the security \
                  officer of the incident.",
        information: Some(("DNP3 Function Code", &["{n}", "Outstation: {dst}"])),
        remediation: &[
            "Verify that the master is allowed to send this request.",
            "Update the policy if the request is legitimate.",
        ],
        source: Side::Known,
        destination: Side::Known,
        numbers: (1, 33),
    },
    AlertKind {
        category: Category::Other,
        title: "Illegal DNP3 Operation",
        engine: "Protocol Violation",
        severities: &["Minor", "Warning"],
        message: "The DNP3 outstation {dst} answered {src} with function code {n}, which the \
                  protocol does not define for a response.",
        information: None,
        remediation: &["Check the outstation's firmware version."],
        source: Side::Known,
        destination: Side::Known,
        numbers: (131, 140),
    },
    AlertKind {
        category: Category::Other,
        title: "PLC Stop Command Was Sent",
        engine: "Operational",
        severities: &["Critical", "Major"],
        message: "The source device {src} sent a stop command to the S7 PLC {dst}.\nThe PLC \
                  stopped executing its program.",
        information: None,
        remediation: &[
            "Confirm with the plant engineer that the stop was planned.",
            "If it was not, restart the PLC and notify the security officer.",
        ],
        source: Side::Known,
        destination: Side::Known,
        numbers: (0, 0),
    },
    AlertKind {
        category: Category::Other,
        title: "Unauthorized PLC Programming",
        engine: "Policy Violation",
        severities: &["Critical"],
        message: "The source device {src} sent a program download to the S7 PLC {dst}, which is \
                  not allowed by policy.\nIt is recommended to notify the security officer of \
                  the incident.",
        information: Some(("Program Blocks", &["OB{n}", "FC{n}"])),
        remediation: &[
            "Compare the PLC's program with the approved version.",
            "Restrict programming access to the engineering stations.",
        ],
        source: Side::Known,
        destination: Side::Known,
        numbers: (1, 99),
    },
    AlertKind {
        category: Category::Other,
        title: "Internet Access Detected",
        engine: "Policy Violation",
        severities: &["Major"],
        message: "Device {src} tried to access an external IP address which is an address in \
                  the Internet and is not allowed by policy. It is recommended to notify the \
                  security officer of the incident.",
        information: Some(("External Addresses", &["{dst} over port BACnet (47808)"])),
        remediation: &["Block the connection at the plant's firewall."],
        source: Side::Known,
        destination: Side::External,
        numbers: (0, 0),
    },
    AlertKind {
        category: Category::Other,
        title: "Suspicion of Conficker Malware",
        engine: "Malware",
        severities: &["Critical", "Major"],
        message: "Suspicious network activity was detected from {src}. Such activity may be \
                  attributed to an attack exploiting the Conficker malware.",
        information: None,
        remediation: &[
            "Isolate the device from the network.",
            "Scan the device with an up-to-date antivirus.",
        ],
        source: Side::Known,
        destination: Side::Absent,
        numbers: (0, 0),
    },
    AlertKind {
        category: Category::Other,
        title: "Address Scan Detected",
        engine: "Anomaly",
        severities: &["Critical", "Major", "Minor"],
        message: "Address scan detected.\nScanning address: {src}\nNumber of scanned addresses: \
                  {n}\nIt is recommended to notify the security officer of the incident.",
        information: None,
        remediation: &["Verify that the scanning device is an authorized scanner."],
        source: Side::Known,
        destination: Side::Absent,
        numbers: (20, 254),
    },
    AlertKind {
        category: Category::Other,
        title: "Excessive Login Attempts",
        engine: "Anomaly",
        severities: &["Major", "Warning"],
        message: "Source device {src} attempted to log in to {dst} {n} times within one \
                  minute.",
        information: None,
        remediation: &[],
        source: Side::Known,
        destination: Side::Known,
        numbers: (6, 60),
    },
    AlertKind {
        category: Category::Other,
        title: "Firmware Change Detected",
        engine: "Operational",
        severities: &["Warning", "Minor"],
        message: "The firmware of device {dst} was changed by {src}.",
        information: Some(("Firmware", &["Version V4.{n}"])),
        remediation: &["Confirm that the firmware change was planned."],
        source: Side::Known,
        destination: Side::Known,
        numbers: (1, 9),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_sit_in_their_category() {
        assert!(
            NEW_DEVICE_KINDS
                .iter()
                .all(|k| k.category == Category::NewDevices)
        );
        assert!(
            DISCONNECTION_KINDS
                .iter()
                .all(|k| k.category == Category::Disconnections)
        );
        assert!(OTHER_KINDS.iter().all(|k| k.category == Category::Other));
    }

    #[test]
    fn every_severity_and_engine_of_the_page_occurs() {
        let all: Vec<&AlertKind> = NEW_DEVICE_KINDS
            .iter()
            .chain(DISCONNECTION_KINDS)
            .chain(OTHER_KINDS)
            .collect();
        for severity in ["Warning", "Minor", "Major", "Critical"] {
            assert!(
                all.iter().any(|k| k.severities.contains(&severity)),
                "{severity}"
            );
        }
        let engines = [
            "Protocol Violation",
            "Policy Violation",
            "Malware",
            "Anomaly",
            "Operational",
        ];
        for engine in engines {
            assert!(all.iter().any(|k| k.engine == engine), "{engine}");
        }
        assert!(all.iter().all(|k| engines.contains(&k.engine)));
    }

    #[test]
    fn only_supported_filter_values_select_a_category() {
        assert_eq!(
            Category::from_filter("disconnections"),
            Some(Category::Disconnections)
        );
        assert_eq!(Category::from_filter("Disconnections"), None);
        assert_eq!(Category::from_filter("unexpected new devices "), None);
    }
}
