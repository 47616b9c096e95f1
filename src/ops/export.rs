//! Export: the audit row of a sessions export (`sessions.export`). Exporting is a read that
//! every role may do, but it takes many users' data out of the system, so who exported what
//! (the filter, the format, the file, the row count) is recorded.

use serde_json::json;

use super::{Operation, OpsError, authorize};
use crate::operator::Actor;
use crate::store::{SessionFilter, Store};

/// Records that `rows` sessions matching `filter` were written to `file` in `format`. The
/// console writes this row before it puts the file in place: without the row, no file. A
/// streamed export (`sessions list --all --format csv|json`) writes it before its first row,
/// with `file` `-` (stdout) and `rows` unknown (`None`, JSON null): without the row, no data.
pub async fn record_session_export(
    store: &Store,
    actor: &Actor,
    filter: &SessionFilter,
    format: &str,
    file: &str,
    rows: Option<u64>,
) -> Result<(), OpsError> {
    let grant = authorize(actor, &Operation::ExportSessions)?;
    store
        .record_audit(
            &grant,
            "sessions.export",
            &filter.describe(),
            None,
            &json!({ "format": format, "file": file, "rows": rows }),
        )
        .await
        .map_err(|e| {
            OpsError::Runtime(format!("the export's audit row could not be written ({e})"))
        })
}
