//! Limits both faces enforce and name in their messages.

/// Shortest password accepted (NIST SP 800-63B); longer passphrases are welcome.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted: enough for any passphrase, bounded for the hash's cost.
pub const MAX_PASSWORD_CHARS: usize = 128;
