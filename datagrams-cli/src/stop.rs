//! Ctrl-C (and SIGTERM) handling: the loops poll a flag between receives, so the command exits
//! cleanly, with its cleanup, instead of dying mid-line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static STOP: AtomicBool = AtomicBool::new(false);

/// How often a waiting receive looks at the flag.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// Installs the handler; safe to call more than once.
pub(crate) fn install() {
    // An error means a handler is already installed, which is what we want anyway.
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst));
}

/// Whether Ctrl-C was pressed.
pub(crate) fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
