//! One CSV row writer for sessions, shared by the console's `:export csv` and the CLI's
//! `sessions list --format csv`, so a file exported from the console and the CLI's output of
//! the same filter have the same columns and the same bytes.
//!
//! Cells follow RFC 4180: fields holding a comma, a double quote, CR or LF are quoted and
//! inner quotes doubled; rows end with CRLF. Every cell is sanitised first (control and bidi
//! characters become visible escapes) because exported files are read in terminals and
//! spreadsheets, and a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is
//! prefixed with `'`. No secret is in a row: no SessionId, no token hash, no session_key.

use crate::sanitize;
use crate::store::SessionRow;
use crate::store::Ts;

const HEADER: &str = "public_id,account_id,username,appid,openid,unionid,client_ip,user_agent,created_at,last_seen_at,expires_at,revoked_at,revoked_by,revoke_reason\r\n";

/// The header line of a sessions CSV, CRLF included.
pub fn csv_header() -> &'static str {
    HEADER
}

/// One session as a CSV line, CRLF included, columns in the order of [`csv_header`].
pub fn session_csv_row(s: &SessionRow) -> String {
    let ts = |t: Ts| t.rfc3339();
    let cells: [String; 14] = [
        s.public_id.clone(),
        s.account_id.to_string(),
        s.username.clone(),
        s.appid.clone(),
        s.openid.clone(),
        s.unionid.clone().unwrap_or_default(),
        s.client_ip.clone().unwrap_or_default(),
        s.user_agent.clone().unwrap_or_default(),
        ts(s.created_at),
        ts(s.last_seen_at),
        ts(s.expires_at),
        s.revoked_at.map(ts).unwrap_or_default(),
        s.revoked_by.clone().unwrap_or_default(),
        s.revoke_reason.clone().unwrap_or_default(),
    ];
    let mut line = String::with_capacity(256);
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_cell(&mut line, c);
    }
    line.push_str("\r\n");
    line
}

/// Appends one sanitised, RFC 4180-quoted cell.
pub fn push_cell(line: &mut String, raw: &str) {
    let clean = sanitize::for_terminal(raw);
    let formula = matches!(clean.chars().next(), Some('=' | '+' | '-' | '@'));
    let needs_quotes = clean.contains([',', '"', '\r', '\n']) || formula;
    if needs_quotes {
        line.push('"');
    }
    if formula {
        line.push('\'');
    }
    for ch in clean.chars() {
        if ch == '"' {
            line.push('"');
        }
        line.push(ch);
    }
    if needs_quotes {
        line.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> SessionRow {
        let t = Ts::from_micros(1_795_000_000_000_000).unwrap();
        SessionRow {
            id: 7,
            public_id: "s_abc".into(),
            account_id: 3,
            username: "alice".into(),
            appid: "wx1".into(),
            openid: "o_1".into(),
            unionid: None,
            created_at: t,
            last_seen_at: t,
            expires_at: t,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            client_ip: Some("10.0.0.1".into()),
            user_agent: Some("Mozilla/5.0 (iPhone, \"x\") MicroMessenger/8.0.47".into()),
        }
    }

    #[test]
    fn header_and_row_have_the_same_number_of_columns() {
        let header = csv_header().trim_end().split(',').count();
        assert_eq!(header, 14);
        let line = session_csv_row(&row());
        assert!(line.ends_with("\r\n"));
        assert!(line.starts_with("s_abc,3,alice,wx1,o_1,,10.0.0.1,"));
    }

    #[test]
    fn commas_and_quotes_are_quoted_per_rfc_4180() {
        let line = session_csv_row(&row());
        assert!(line.contains(",\"Mozilla/5.0 (iPhone, \"\"x\"\") MicroMessenger/8.0.47\","));
    }

    #[test]
    fn control_characters_newlines_and_formulas_are_neutralised() {
        let mut r = row();
        r.user_agent = Some("a\x1b[2J\r\nb".into());
        r.revoke_reason = Some("=HYPERLINK(\"http://x\")".into());
        let line = session_csv_row(&r);
        assert!(!line.contains('\x1b'));
        assert_eq!(line.matches("\r\n").count(), 1);
        assert!(line.contains("a\\x1b[2J\\x0d\\x0ab"));
        assert!(line.ends_with(",\"'=HYPERLINK(\"\"http://x\"\")\"\r\n"));
    }
}
