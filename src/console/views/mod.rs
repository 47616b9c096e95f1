//! One file per view: its state, what its keys do, and how it is drawn.

pub mod audit;
pub mod bindings;
pub mod exchange;
pub mod sessions;
