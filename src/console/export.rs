//! `:export csv FILE` / `:export json FILE`: the Sessions view's list, with its filter in
//! force, written to a file by a background task, page by page (keyset, the store's
//! `list_sessions`, the same function and filter the view uses), so the screen keeps drawing.
//!
//! The rows go to a temporary file (mode 0600) in the target's directory, which is renamed
//! into place only once every page is written: a cancelled or failed export leaves neither the
//! file nor the temporary one. Without `!` an existing file is refused, before anything is
//! written and again at the end (the temporary file is hard-linked, which never replaces).
//!
//! CSV is the bytes `wxlogin sessions list --format csv --all` prints for the same filter
//! (the same header and row writer, [`crate::export`]). JSON is one array of the objects
//! `sessions list --format json` prints in its `sessions` field.
//!
//! Every role may export (it is a read), but an export takes many users' data out, so it is
//! audited: one `sessions.export` row with the filter, format, file and row count, written
//! before the file is put in place (no row, no file).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::i18n::Tr;
use crate::operator::Actor;
use crate::ops;
use crate::present::json::SessionJson;
use crate::store::{SessionFilter, Store, Ts};
use crate::tr;

/// Rows read per page.
pub const PAGE: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// A parsed `:export` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub format: Format,
    pub path: PathBuf,
    /// `:export!`: replace an existing file.
    pub overwrite: bool,
}

/// Parses what follows `:export` (or `:export!`): `csv FILE` or `json FILE`.
pub fn parse(tr: &Tr, overwrite: bool, rest: &str) -> Result<Request, String> {
    let rest = rest.trim();
    let (format, file) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let format = match format.to_ascii_lowercase().as_str() {
        "csv" => Format::Csv,
        "json" => Format::Json,
        "" => return Err(tr!(tr, "console-export-usage")),
        other => {
            return Err(tr!(
                tr,
                "console-export-unknown-format",
                format = crate::sanitize::for_terminal(other)
            ));
        }
    };
    let file = file.trim();
    if file.is_empty() {
        return Err(tr!(tr, "console-export-no-file"));
    }
    Ok(Request {
        format,
        path: PathBuf::from(file),
        overwrite,
    })
}

/// An export in progress.
#[derive(Debug)]
pub struct Running {
    pub id: u64,
    pub path: PathBuf,
    pub rows: u64,
    cancel: Arc<AtomicBool>,
}

impl Running {
    /// Asks the task to stop before its next page.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

/// What an export reports.
#[derive(Debug)]
pub enum Msg {
    /// Rows written so far.
    Progress { id: u64, rows: u64 },
    /// The end: rows written and renamed into place, or cancelled, or why it failed.
    Done { id: u64, outcome: Outcome },
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Written(u64),
    Cancelled,
    Failed(String),
}

/// The path as the status line shows it.
pub fn shown(path: &Path) -> String {
    crate::sanitize::for_terminal(&path.display().to_string()).into_owned()
}

/// Checks what can be checked before starting: an existing file without `!`.
pub fn precheck(tr: &Tr, req: &Request) -> Result<(), String> {
    if !req.overwrite && std::fs::symlink_metadata(&req.path).is_ok() {
        return Err(tr!(
            tr,
            "console-export-exists",
            path = shown(&req.path),
            format = match req.format {
                Format::Csv => "csv",
                Format::Json => "json",
            }
        ));
    }
    Ok(())
}

/// Starts state for an export; the future to spawn comes from [`run`].
pub fn start(id: u64, path: PathBuf) -> (Running, Arc<AtomicBool>) {
    let cancel = Arc::new(AtomicBool::new(false));
    (
        Running {
            id,
            path,
            rows: 0,
            cancel: cancel.clone(),
        },
        cancel,
    )
}

/// Writes every session matching `filter` to `req.path`, reporting progress after each page;
/// once every page is written, records the audit row (`sessions.export`) and only then puts
/// the file in place.
pub async fn run(
    tr: Tr,
    store: Store,
    actor: Actor,
    filter: SessionFilter,
    req: Request,
    cancel: Arc<AtomicBool>,
    progress: impl Fn(u64) + Send,
) -> Outcome {
    let dir = match req.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name) = req.path.file_name() else {
        return Outcome::Failed(tr!(
            tr,
            "console-export-not-a-file",
            path = shown(&req.path)
        ));
    };
    let tmp = dir.join(format!(
        ".{}.{:016x}.tmp",
        name.to_string_lossy(),
        rand::random::<u64>()
    ));
    let file = match open_private(&tmp) {
        Ok(f) => f,
        Err(e) => {
            return Outcome::Failed(tr!(
                tr,
                "console-export-cannot-create",
                dir = shown(&dir),
                error = e.to_string()
            ));
        }
    };
    // Removed however this ends: done (already renamed or linked away), failed, cancelled, or
    // the task dropped mid-page because the console quit.
    let _tmp = RemoveOnDrop(tmp.clone());
    let result = write_all(&tr, &store, &filter, req.format, file, &cancel, progress).await;
    match result {
        Ok(None) => Outcome::Cancelled,
        Ok(Some(n)) => {
            let file = std::path::absolute(&req.path).unwrap_or_else(|_| req.path.clone());
            let format = match req.format {
                Format::Csv => "csv",
                Format::Json => "json",
            };
            let file = file.display().to_string();
            match ops::record_session_export(&store, &actor, &filter, format, &file, Some(n)).await
            {
                Err(e) => Outcome::Failed(crate::present::refusal::ops_error(&tr, &e)),
                Ok(()) => match place(&tr, &tmp, &req.path, req.overwrite) {
                    Ok(()) => Outcome::Written(n),
                    Err(e) => Outcome::Failed(e),
                },
            }
        }
        Err(e) => Outcome::Failed(e),
    }
}

/// The temporary file, removed when the export ends one way or another.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Moves the finished temporary file to `dest` (never replacing it unless `overwrite`).
fn place(tr: &Tr, tmp: &Path, dest: &Path, overwrite: bool) -> Result<(), String> {
    let cannot = |e: std::io::Error| {
        tr!(
            tr,
            "console-export-cannot-write",
            path = shown(dest),
            error = e.to_string()
        )
    };
    if overwrite {
        std::fs::rename(tmp, dest).map_err(cannot)
    } else {
        match std::fs::hard_link(tmp, dest) {
            Ok(()) => {
                let _ = std::fs::remove_file(tmp);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(tr!(tr, "console-export-appeared", path = shown(dest)))
            }
            Err(e) => Err(cannot(e)),
        }
    }
}

/// Every page into `file`; `Ok(None)` when cancelled. Pages are written as they arrive and
/// dropped: memory stays one page.
async fn write_all(
    tr: &Tr,
    store: &Store,
    filter: &SessionFilter,
    format: Format,
    file: std::fs::File,
    cancel: &AtomicBool,
    progress: impl Fn(u64) + Send,
) -> Result<Option<u64>, String> {
    let io = |e: std::io::Error| tr!(tr, "console-export-write-failed", error = e.to_string());
    let mut w = std::io::BufWriter::new(file);
    let now = Ts::from(store.now());
    match format {
        Format::Csv => w.write_all(crate::export::csv_header().as_bytes()),
        Format::Json => w.write_all(b"["),
    }
    .map_err(io)?;
    let mut rows: u64 = 0;
    let mut after = None;
    loop {
        if cancel.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let page = store
            .list_sessions(filter, after, PAGE)
            .await
            .map_err(|e| tr!(tr, "console-export-read-failed", error = e.to_string()))?;
        for s in &page.rows {
            match format {
                Format::Csv => w.write_all(crate::export::session_csv_row(s).as_bytes()),
                Format::Json => {
                    let text = serde_json::to_string_pretty(&SessionJson::new(s, now))
                        .map_err(std::io::Error::other)
                        .map_err(io)?;
                    let text =
                        crate::present::json::escape_json_for_terminal(&text).replace('\n', "\n  ");
                    let sep = if rows == 0 { "" } else { "," };
                    write!(w, "{sep}\n  {text}")
                }
            }
            .map_err(io)?;
            rows += 1;
        }
        progress(rows);
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    if format == Format::Json {
        w.write_all(if rows == 0 { b"]\n" } else { b"\n]\n" })
            .map_err(io)?;
    }
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(Some(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_format_and_file_and_refuses_bad_input() {
        assert_eq!(
            parse(&Tr::default(), false, "csv out/x y.csv").unwrap(),
            Request {
                format: Format::Csv,
                path: PathBuf::from("out/x y.csv"),
                overwrite: false
            }
        );
        assert_eq!(
            parse(&Tr::default(), true, "JSON a.json").unwrap().format,
            Format::Json
        );
        assert!(
            parse(&Tr::default(), false, "xml a.xml")
                .unwrap_err()
                .contains("unknown export format")
        );
        assert!(
            parse(&Tr::default(), false, "csv")
                .unwrap_err()
                .contains("file name is missing")
        );
        assert!(
            parse(&Tr::default(), false, "")
                .unwrap_err()
                .contains("usage")
        );
    }
}
