//! The procedure's rules (docs/procedure.md): what each platform asks for and the steps a
//! case goes through, the items a message carries, and the pure decision of what filing
//! them does to a case — one platform or several at once.

pub(crate) mod filing;
pub(crate) mod materials;
pub mod requirements;
pub(crate) mod several;
pub mod step;
