//! The staging folders of reports being written, so an interrupted run
//! (SIGINT, SIGTERM) can remove them before it exits rather than leave a
//! hidden `.name.partial-PID` that no later run removes.
//!
//! A report folder is assembled aside and renamed into place when complete
//! (see [`super::ReportDir`]); the interrupt handler (`cli::main`) runs on
//! a thread of its own, outside any run, so nothing here touches a
//! simulation's order of events.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Every staging folder created and not yet committed or dropped.
static OPEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn open() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves a list still worth cleaning.
    OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn register(staging: &Path) {
    open().push(staging.to_path_buf());
}

pub fn unregister(staging: &Path) {
    open().retain(|p| p != staging);
}

/// Removes every registered staging folder. The run may still be writing
/// into one, so a removal that races a new file is tried again.
pub fn remove_all() {
    let folders = std::mem::take(&mut *open());
    for folder in folders {
        for _ in 0..20 {
            match std::fs::remove_dir_all(&folder) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => continue,
                _ => break,
            }
        }
    }
}
