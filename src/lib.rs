//! wxlogin: the WeChat Mini Program login backend and its operations console.
//!
//! - [`store`]: the login database (PostgreSQL or embedded SQLite), one API for everything.
//! - [`config`]: flags, environment and config file; secrets never from argv.
//! - [`crypto`]: SessionIds, session_key encryption, password hashing.
//! - [`bench`]: `wxlogin seed-synthetic` and `wxlogin bench` (issue 7 targets, BENCHMARKS.md).
//! - [`device`]: the device model, OS, WeChat version, network and language from a user agent.
//! - [`cli`]: the headless commands (`sessions`, `bindings`, `exchange`, `audit`, `accounts`).
//! - [`wechat`]: the code2Session client, its configuration and errcode table.
//! - [`mock_wechat`]: the WeChat emulator (`wxlogin mock-wechat`), for tests and drills, never production.
//! - [`service`]: the login service (`wxlogin serve`); [`simulate`]: realistic clients;
//!   [`demo`]: everything wired together on a fresh embedded database.

pub mod bench;
pub mod cli;
pub mod config;
pub mod console;
pub mod crypto;
pub mod demo;
pub mod device;
pub mod exit;
pub mod export;
pub mod i18n;
pub mod mock_wechat;
pub mod operator;
pub mod ops;
pub mod present;
pub mod sanitize;
pub mod secret;
pub mod service;
pub mod simulate;
pub mod ssh;
pub mod store;
pub mod text;
pub mod wechat;
