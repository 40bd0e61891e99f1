//! Case records, each table with its one owner: the cases and their items, the timeline
//! (audit), the contacts the operators accepted, and the evidence bundle exported from
//! them all.

pub mod audit;
pub mod cases;
pub mod contacts;
pub mod export;
