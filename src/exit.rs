//! Process exit codes, the same for every subcommand (documented in `--help` and the README).

use std::fmt;

/// 0 success, 1 runtime error, 2 usage error, 3 nothing matched, 4 refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Runtime = 1,
    Usage = 2,
    NothingMatched = 3,
    Refused = 4,
}

/// An error that ends the process: one sentence for stderr and the exit code that goes with it.
#[derive(Debug)]
pub struct Failure {
    pub code: Code,
    pub message: String,
    /// The refusal this is, when it is one: kept so that a face can say it again in its
    /// operator's language (the message above is English).
    pub denied: Option<crate::ops::Denied>,
}

impl Failure {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            denied: None,
        }
    }
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(Code::Runtime, message)
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message)
    }
    pub fn nothing_matched(message: impl Into<String>) -> Self {
        Self::new(Code::NothingMatched, message)
    }
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Code::Refused, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        if let Some(f) = e.downcast_ref::<Failure>() {
            return Failure {
                denied: f.denied.clone(),
                ..Failure::new(f.code, f.message.clone())
            };
        }
        Failure::runtime(format!("{e:#}"))
    }
}

macro_rules! failure_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Self {
                Failure::runtime(e.to_string())
            }
        }
    )*};
}
failure_from!(crate::config::ConfigError, std::io::Error);

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            // Bad input: nothing was tried.
            crate::store::StoreError::Invalid(m) => Failure::usage(m),
            other => Failure::runtime(other.to_string()),
        }
    }
}

impl From<crate::ops::Denied> for Failure {
    fn from(e: crate::ops::Denied) -> Self {
        Failure {
            denied: Some(e.clone()),
            ..Failure::refused(e.to_string())
        }
    }
}

/// One exit code per kind of refusal: denied 4, bad input 2, nothing matched 3, else 1.
impl From<crate::ops::OpsError> for Failure {
    fn from(e: crate::ops::OpsError) -> Self {
        use crate::ops::OpsError;
        match e {
            OpsError::Denied(d) => d.into(),
            OpsError::Invalid(m) => Failure::usage(m),
            OpsError::NothingMatched(m) => Failure::nothing_matched(m),
            OpsError::Runtime(m) => Failure::runtime(m),
            OpsError::Store(s) => s.into(),
        }
    }
}
