//! `wxlogin audit archive` (oncall): the audit rows before a date go to a JSON-lines file (the
//! fields of `audit --json`), which is fsynced and read back (count and SHA-256) before any
//! row is deleted; then exactly those rows are deleted in batches, and the `audit.archive` row
//! (cutoff, count, SHA-256) is written with the last batch. The file is written as
//! `FILE.partial` and appears under its name only once verified: a `FILE` that exists is
//! complete. An existing FILE (or FILE.partial) is never overwritten.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Operation, OpsError, authorize};
use crate::operator::Actor;
use crate::store::{ArchivedBatch, Cursor, Store, Ts};

/// Audit rows read, and deleted, per transaction unless told.
pub const ARCHIVE_BATCH: i64 = 1_000;

/// What an archive did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveOutcome {
    pub before: String,
    pub file: String,
    pub count: u64,
    pub bytes: u64,
    pub sha256: String,
    /// Batches deleted (stops early only on an error).
    pub batches: u64,
}

/// Where the archive is in its work, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveStep {
    Written(u64),
    Verified(u64),
    Deleted(u64),
}

fn partial_of(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> OpsError {
    OpsError::Runtime(format!(
        "cannot {what} {}: {e}; no audit row was deleted",
        crate::sanitize::for_terminal(&path.display().to_string())
    ))
}

/// Archives the audit rows before `before` to `path` (authorize → file → verify → delete →
/// audit). `progress` sees each step; `false` stops before the next batch (nothing half-done:
/// rows not yet deleted are still in the table and in the verified file).
pub async fn archive_audit(
    store: &Store,
    actor: &Actor,
    before: Ts,
    path: &Path,
    batch: i64,
    progress: &mut (dyn FnMut(ArchiveStep) -> bool + Send),
) -> Result<ArchiveOutcome, OpsError> {
    let grant = authorize(actor, &Operation::ArchiveAudit)?;
    if before > store.now_ts() {
        return Err(OpsError::Invalid(
            "--before is in the future: only rows already written can be archived".into(),
        ));
    }
    let shown = crate::sanitize::for_terminal(&path.display().to_string()).into_owned();
    let partial = partial_of(path);
    if path.exists() {
        return Err(OpsError::Invalid(format!(
            "{shown} exists; the archive never overwrites a file: choose another name"
        )));
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                OpsError::Invalid(format!(
                    "{shown}.partial exists (an archive that did not finish; its rows are still in the table): remove it or choose another name"
                ))
            } else {
                io_err("create", &partial, e)
            }
        })?;
    // 1. Write every row, oldest first, hashing as it goes.
    let mut out = std::io::BufWriter::new(file);
    let mut hash = Sha256::new();
    let (mut count, mut bytes) = (0u64, 0u64);
    let mut batches: Vec<ArchivedBatch> = Vec::new();
    let mut after: Option<Cursor> = None;
    let written: Result<(), OpsError> = async {
        loop {
            let rows = store.audit_rows_before(before, after, batch.max(1)).await?;
            let Some(last) = rows.last() else { break };
            let first = rows[0].cursor();
            let mut b = ArchivedBatch {
                first,
                last: last.cursor(),
                count: rows.len() as u64,
                max_id: 0,
            };
            for r in &rows {
                b.max_id = b.max_id.max(r.id);
                let mut line = serde_json::to_vec(&crate::present::json::AuditJson::from(r))
                    .map_err(|e| OpsError::Runtime(e.to_string()))?;
                line.push(b'\n');
                hash.update(&line);
                out.write_all(&line)
                    .map_err(|e| io_err("write", &partial, e))?;
                bytes += line.len() as u64;
            }
            count += b.count;
            after = Some(b.last);
            let short = (rows.len() as i64) < batch.max(1);
            batches.push(b);
            progress(ArchiveStep::Written(count));
            if short {
                break;
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = written {
        drop(out);
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    if count == 0 {
        drop(out);
        let _ = std::fs::remove_file(&partial);
        return Err(OpsError::NothingMatched(format!(
            "no audit row before {}; nothing to archive",
            before.rfc3339()
        )));
    }
    let file = out
        .into_inner()
        .map_err(|e| io_err("write", &partial, e.into_error()))?;
    file.sync_all().map_err(|e| io_err("fsync", &partial, e))?;
    drop(file);
    let sha256 = hex::encode(hash.finalize());
    // 2. Read it back: the same number of lines and the same SHA-256.
    let (n, h) = read_back(&partial).map_err(|e| io_err("read back", &partial, e))?;
    if n != count || h != sha256 {
        return Err(OpsError::Runtime(format!(
            "{shown}.partial does not read back as written ({n} lines, SHA-256 {h}; wrote {count}, {sha256}); no audit row was deleted"
        )));
    }
    // Under its name only now: a FILE that exists is complete and verified. A hard link
    // fails if FILE appeared meanwhile (never overwritten).
    std::fs::hard_link(&partial, path).map_err(|e| io_err("create", path, e))?;
    std::fs::remove_file(&partial).map_err(|e| io_err("remove", &partial, e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    if !progress(ArchiveStep::Verified(count)) {
        return Err(OpsError::Runtime(format!(
            "interrupted: {shown} is complete and verified; no audit row was deleted"
        )));
    }
    // 3. Delete exactly those rows, batch by batch; the last batch writes audit.archive.
    let detail = serde_json::json!({
        "before": before.rfc3339(),
        "count": count,
        "bytes": bytes,
        "sha256": sha256,
        "file": path.display().to_string(),
    });
    let target = format!("audit:before-{}", before.rfc3339());
    let mut deleted = 0u64;
    let total = batches.len();
    for (i, b) in batches.iter().enumerate() {
        let record = (i + 1 == total).then_some((target.as_str(), &detail));
        store
            .delete_archived_batch(&grant, before, b, record)
            .await?;
        deleted += b.count;
        if !progress(ArchiveStep::Deleted(deleted)) && i + 1 < total {
            return Err(OpsError::Runtime(format!(
                "interrupted after deleting {deleted} of {count} rows; every row is in {shown} (verified); run again with a new file for the rest"
            )));
        }
    }
    Ok(ArchiveOutcome {
        before: before.rfc3339(),
        file: path.display().to_string(),
        count,
        bytes,
        sha256,
        batches: total as u64,
    })
}

/// Lines and SHA-256 of a file.
pub fn read_back(path: &Path) -> std::io::Result<(u64, String)> {
    let mut r = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut hash = Sha256::new();
    let mut n = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        hash.update(&line);
        n += 1;
    }
    Ok((n, hex::encode(hash.finalize())))
}
