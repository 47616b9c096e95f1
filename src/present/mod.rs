//! What both faces show, in one place below them: the console (`crate::console`) and the
//! headless commands (`crate::cli`) import this module and never each other.
//!
//! What belongs here: labels (the account history's event names and lines), the JSON and CSV
//! row shapes, state names, limits both faces enforce (password length), and plain values the
//! config file holds for a face (the sparkline style). What does not: I/O, the terminal, clap,
//! the store's queries. `tests/layering.rs` reads the sources and fails when a face imports the
//! other.

pub mod history;
pub mod json;
pub mod limits;
pub mod refusal;
pub mod state;
pub mod wechat;

/// How sparklines are drawn (`[console] sparkline = "braille" | "blocks"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SparkStyle {
    /// Braille dots: two minutes per character.
    #[default]
    Braille,
    /// Block characters `▁▂▃▄▅▆▇█`, one minute per character (fonts without braille).
    Blocks,
}
