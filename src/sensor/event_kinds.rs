//! How the reference sensor words each event type: its severity, the contents it reports, and
//! whether an operator creates it by hand (and so owns it). Slots: `{src}`, `{dst}` (devices),
//! `{ext}` (an Internet address), `{user}` (an operator), `{n}` (a number), `{port}`.

/// What the timeline reports for one event type.
#[derive(Debug)]
pub struct EventProfile {
    /// The event type, as in the title table.
    pub kind: &'static str,
    /// `INFO`, `NOTICE` or `ALERT`.
    pub severity: &'static str,
    /// Templates of the `content` field; an event uses one of them.
    pub contents: &'static [&'static str],
    /// Whether an operator creates the event by hand, making its `owner` a username.
    pub manual: bool,
}

const fn detected(
    kind: &'static str,
    severity: &'static str,
    contents: &'static [&'static str],
) -> EventProfile {
    EventProfile {
        kind,
        severity,
        contents,
        manual: false,
    }
}

const fn manual(kind: &'static str, contents: &'static [&'static str]) -> EventProfile {
    EventProfile {
        kind,
        severity: "INFO",
        contents,
        manual: true,
    }
}

/// One profile per event type, in the order of [`super::titles::TITLES`].
pub const PROFILES: [EventProfile; 78] = [
    detected(
        "DEVICE_CREATE",
        "INFO",
        &["Device {src} was detected on the network"],
    ),
    detected(
        "DEVICE_UPDATE",
        "INFO",
        &[
            "Device {src} was updated: firmware version detected",
            "Device {src} was updated: new host name learned",
        ],
    ),
    detected(
        "ALERT_REPORTED",
        "ALERT",
        &[
            "Device {src} is suspected to be disconnected (unresponsive).",
            "A DNP3 Master {src} attempted to initiate a request which is not allowed by \
             policy.\nThe policy indicates the allowed function codes, address ranges, point \
             indexes and time intervals.\nIt is recommended to notify the security officer of \
             the incident.",
            "A MODBUS master {src} attempted to send function code {n} to {dst}, which is not \
             allowed by policy.",
            "Device {src} tried to access an external IP address {ext} which is not allowed by \
             policy.",
            "The source device {src} sent a stop command to the S7 PLC {dst}.",
        ],
    ),
    detected(
        "ALERT_UPDATED",
        "NOTICE",
        &[
            "Alert {n} on device {src} was updated",
            "Alert {n} was marked as handled",
        ],
    ),
    detected(
        "SCAN",
        "NOTICE",
        &["Address scan from {src} detected on the subnet of {dst}"],
    ),
    detected(
        "PROGRAM_DEVICE",
        "NOTICE",
        &["Program update detected, sent from {src} to {dst}"],
    ),
    detected(
        "MMS_PROGRAM_DEVICE",
        "NOTICE",
        &["MMS program download from {src} to {dst} detected"],
    ),
    detected(
        "SCL_UPLOADED",
        "NOTICE",
        &["SCL file uploaded from {src} to the IED {dst}"],
    ),
    manual(
        "EXCLUSION_RULE_CREATED",
        &["Exclusion rule \"Maintenance window {n}\" was created by {user}"],
    ),
    manual(
        "EXCLUSION_RULE_REMOVED",
        &["Exclusion rule \"Maintenance window {n}\" was removed by {user}"],
    ),
    manual(
        "EXCLUSION_RULE_UPDATED",
        &["Exclusion rule \"Maintenance window {n}\" was updated by {user}"],
    ),
    detected(
        "DEVICE_CONNECTION_CREATED",
        "INFO",
        &["A new connection was detected between {src} and {dst} over port {port}"],
    ),
    detected(
        "USER_LOGIN",
        "INFO",
        &[
            "Login attempt from {src} to {dst} with user operator succeeded",
            "Login attempt from {src} to {dst} with user engineer failed",
        ],
    ),
    detected(
        "FILE_TRANSFER",
        "INFO",
        &[
            "File transfer detected from {src} to {dst} over SMB",
            "File transfer detected from {src} to {dst} over FTP",
        ],
    ),
    manual(
        "CUSTOM_EVENT",
        &[
            "Planned maintenance of line {n} started",
            "Shift handover: line {n} running normally",
        ],
    ),
    detected(
        "REMOTE_ACCESS",
        "NOTICE",
        &[
            "Remote access connection established from {src} to {dst} over RDP",
            "Remote access connection established from {src} to {dst} over VNC",
        ],
    ),
    detected(
        "BACK_TO_NORMAL",
        "INFO",
        &["Device {src} was found responsive, after being suspected as disconnected"],
    ),
    detected(
        "MMS_MEMORY_BLOCK_OPERATION",
        "NOTICE",
        &["MMS memory block write from {src} to {dst}"],
    ),
    detected(
        "MMS_PROGRAM_OPERATION",
        "NOTICE",
        &["MMS program operation from {src} on {dst}: start"],
    ),
    detected(
        "HTTP_BASIC_AUTHENTICATION",
        "NOTICE",
        &["HTTP basic authentication from {src} to the web server of {dst}"],
    ),
    detected(
        "SIEMENS_S_7_MEMORY_BLOCK_OPERATION",
        "NOTICE",
        &["Block DB{n} of the S7 PLC {dst} was written by {src}"],
    ),
    detected(
        "SIEMENS_S_7_AUTHENTICATION",
        "NOTICE",
        &["S7 authentication from {src} to the PLC {dst}"],
    ),
    manual(
        "REPORT_CREATED",
        &["Report \"Weekly asset inventory\" was created by {user}"],
    ),
    detected(
        "SNMP_TRAP",
        "INFO",
        &["SNMP trap from {src}: linkDown on interface {n}"],
    ),
    detected(
        "DATABASE_ACTION",
        "NOTICE",
        &["Database structure manipulation from {src} on the historian {dst}: ALTER TABLE"],
    ),
    detected(
        "PLC_MODULE_CHANGE",
        "NOTICE",
        &["A module was changed in slot {n} of PLC {dst}"],
    ),
    detected(
        "FIRMWARE_UPDATE",
        "NOTICE",
        &["Firmware update of {dst} sent from {src}"],
    ),
    detected("PLC_START", "NOTICE", &["PLC {dst} was started by {src}"]),
    detected(
        "SRTP_PLC_RESET",
        "ALERT",
        &["PLC {dst} was reset by {src} over SRTP"],
    ),
    detected(
        "SRTP_PLC_COPY_FIRMWARE",
        "NOTICE",
        &["Firmware copied from {src} to PLC {dst}"],
    ),
    detected(
        "SRTP_LOGIN_PROGRAMMING",
        "NOTICE",
        &["PLC {dst} was set to programming mode by {src}"],
    ),
    detected(
        "SRTP_PLC_CHANGE_PASSWORD",
        "NOTICE",
        &["The password of PLC {dst} was changed by {src}"],
    ),
    detected(
        "OPC_DATA_ACCESS_GROUP_MANAGEMENT_OPERATION",
        "INFO",
        &["OPC DA client {src} added a group on the server {dst}"],
    ),
    detected(
        "OPC_DATA_ACCESS_ITEM_MANAGEMENT_OPERATION",
        "INFO",
        &["OPC DA client {src} added {n} items on the server {dst}"],
    ),
    detected(
        "OPC_DATA_ACCESS_IO_SUBSCRIPTION_MANAGEMENT_OPERATION",
        "INFO",
        &["OPC DA client {src} subscribed to IO updates of the server {dst}"],
    ),
    detected(
        "OPC_AE_EVENT_SUBSCRIPTION",
        "INFO",
        &["OPC AE client {src} subscribed to events of the server {dst}"],
    ),
    detected(
        "OPC_AE_EVENT_CONDITION_MANAGEMENT_OPERATION",
        "INFO",
        &["OPC AE client {src} acknowledged condition {n} on the server {dst}"],
    ),
    detected(
        "OPC_AE_EVENT",
        "INFO",
        &["OPC AE server {dst} reported event {n} to {src}"],
    ),
    detected(
        "SRTP_CHANGE_PRIVILEGE",
        "NOTICE",
        &["Access level of PLC {dst} changed to {n} by {src}"],
    ),
    detected(
        "SRTP_CHANGE_LEVEL_FAILED",
        "NOTICE",
        &["{src} failed to change the access level of PLC {dst}"],
    ),
    detected(
        "SUITELINK_INIT_CONNECTION",
        "INFO",
        &["Wonderware SuiteLink session initialized from {src} to {dst}"],
    ),
    manual(
        "USER_OPERATION",
        &[
            "User {user} changed the learning mode",
            "User {user} acknowledged {n} alerts",
        ],
    ),
    manual(
        "DIP_UPLOADED",
        &["Data Intelligence Package 22.{n} was uploaded by {user}"],
    ),
    detected(
        "FTP_AUTHENTICATION_FAILURE",
        "NOTICE",
        &["FTP authentication from {src} to {dst} failed"],
    ),
    detected(
        "PROFINET_DPC_VALUE_SET",
        "NOTICE",
        &["Profinet DCP SET of the station name sent from {src} to {dst}"],
    ),
    detected(
        "S7PLUS_PLC_MODE_CHANGE",
        "NOTICE",
        &["PLC {dst} switched to RUN, requested by {src}"],
    ),
    detected(
        "S7_PLC_MODE_CHANGE",
        "NOTICE",
        &["PLC {dst} switched to STOP, requested by {src}"],
    ),
    manual("DELETE_DEVICE", &["Device {src} was deleted by {user}"]),
    detected(
        "S7PLUS_PROGRAMMING",
        "NOTICE",
        &["Program download from {src} to the S7-1500 PLC {dst}"],
    ),
    detected(
        "FIRMWARE_CHANGED",
        "NOTICE",
        &["The firmware of PLC {dst} changed to version V{n}.2"],
    ),
    detected(
        "DELTAV_PROGRAMMING",
        "NOTICE",
        &["DeltaV install script sent from {src} to the controller {dst}"],
    ),
    manual(
        "USER_DEFINED_RULE_CREATED",
        &["User defined rule \"Block writes {n}\" was created by {user}"],
    ),
    manual(
        "USER_DEFINED_RULE_EDITED",
        &["User defined rule \"Block writes {n}\" was edited by {user}"],
    ),
    manual(
        "USER_DEFINED_RULE_DELETED",
        &["User defined rule \"Block writes {n}\" was deleted by {user}"],
    ),
    detected(
        "USER_DEFINED_RULE_OPERATION",
        "NOTICE",
        &["User defined rule \"Block writes {n}\" matched traffic from {src} to {dst}"],
    ),
    detected(
        "REMOTE_PROCESS_EXECUTION",
        "ALERT",
        &["Remote process execution from {src} on {dst} over SMB"],
    ),
    detected(
        "DEVICE_UNIFICATION",
        "INFO",
        &["Devices {src} and {dst} were unified"],
    ),
    manual(
        "NOTIFICATION",
        &["A notification about device {src} was resolved manually by {user}"],
    ),
    detected(
        "ENIP_CONTROLLER_PROGRAM_DELETE",
        "NOTICE",
        &["The program of controller {dst} was deleted by {src} over EtherNet/IP"],
    ),
    detected(
        "ENIP_CONTROLLER_PROGRAM_RESET",
        "NOTICE",
        &["The program of controller {dst} was reset by {src} over EtherNet/IP"],
    ),
    detected(
        "ENIP_CONTROLLER_GENERIC_RESET",
        "NOTICE",
        &["Controller {dst} was reset by {src} over EtherNet/IP"],
    ),
    detected(
        "ENIP_CONTROLLER_GENERIC_STOP",
        "ALERT",
        &["Controller {dst} was stopped by {src} over EtherNet/IP"],
    ),
    detected(
        "ENIP_CONTROLLER_GENERIC_START",
        "NOTICE",
        &["Controller {dst} was started by {src} over EtherNet/IP"],
    ),
    detected(
        "TELNET_AUTHENTICATION_FAILURE",
        "NOTICE",
        &["Telnet authentication from {src} to {dst} failed"],
    ),
    detected(
        "CONFIGURATION_OF_CLEARTEXT_PASSWORD",
        "NOTICE",
        &["A cleartext password was configured on {dst} by {src}"],
    ),
    detected(
        "CLEARTEXT_AUTHENTICATION",
        "NOTICE",
        &["Cleartext authentication from {src} to {dst} over port {port}"],
    ),
    detected(
        "PROGRAM_UPLOAD_DEVICE",
        "NOTICE",
        &["Program upload from PLC {dst} to {src} detected"],
    ),
    detected(
        "CONFIGURATION_CHANGE",
        "NOTICE",
        &["Configuration of PLC {dst} written by {src}"],
    ),
    detected(
        "CONFIGURATION_READ",
        "INFO",
        &["Configuration of PLC {dst} read by {src}"],
    ),
    detected(
        "SYSLOG_MSG",
        "INFO",
        &[
            "Syslog message from {src}: interface {n} changed state to up",
            "Syslog message from {src}: configuration saved",
        ],
    ),
    detected(
        "INTERNET_ACCESS",
        "ALERT",
        &["Device {src} accessed the Internet address {ext}"],
    ),
    detected(
        "CAMP_MEMORY_WRITE_OPERATION",
        "NOTICE",
        &["Common ASCII Message Protocol memory write from {src} to {dst}"],
    ),
    detected(
        "MUTED_ALERT",
        "INFO",
        &["An alert on device {src} was detected and muted by an exclusion rule"],
    ),
    detected(
        "DHCP_UPDATE",
        "INFO",
        &["Device {src} received a new address from {dst}"],
    ),
    detected(
        "DIP_FAILURE",
        "NOTICE",
        &["Installation of Data Intelligence Package 22.{n} failed"],
    ),
    manual(
        "DELETE_DEVICE_SCHEDULE",
        &["{n} inactive devices were scheduled for deletion by {user}"],
    ),
    detected(
        "PLC_OPERATING_MODE_CHANGED",
        "NOTICE",
        &["The operating mode of PLC {dst} changed to REMOTE RUN"],
    ),
    detected(
        "HARDWARE_UPDATE_BY_IDENTIFIER",
        "INFO",
        &["The address of device {src} was updated from its hardware identifier"],
    ),
];

#[cfg(test)]
mod tests {
    use super::super::titles::TITLES;
    use super::*;

    #[test]
    fn one_profile_per_type_in_table_order() {
        for (profile, (kind, _)) in PROFILES.iter().zip(TITLES) {
            assert_eq!(profile.kind, kind);
        }
    }

    #[test]
    fn severities_are_the_pages() {
        for profile in &PROFILES {
            assert!(["INFO", "NOTICE", "ALERT"].contains(&profile.severity));
            assert!(!profile.contents.is_empty());
        }
    }
}
