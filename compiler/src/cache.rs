//! The bounded least-recently-used cache both executors keep their code in
//! (it lives in the runtime, which the interpreter's jump-table cache
//! shares).

pub use cevm_runtime::cache::{BoundedCache, DEFAULT_CACHE_ENTRIES};
