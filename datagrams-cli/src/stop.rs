//! Ctrl-C (and SIGTERM) handling: the loops poll a flag between receives, so the command exits
//! cleanly, with its cleanup, instead of dying mid-line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};

/// Set by the handler of SIGINT and SIGTERM.
static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// How often a waiting receive looks at the flag.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// Installs the handler; calls after the first do nothing.
pub(crate) fn install() {
    STOP.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [SIGINT, SIGTERM] {
            // Registration fails only for a signal that cannot be caught (SIGKILL, SIGSTOP);
            // these two can, so an error here leaves the default action, which still ends
            // the process.
            let _ = signal_hook::flag::register(signal, Arc::clone(&flag));
        }
        flag
    });
}

/// Whether Ctrl-C (or SIGTERM) arrived.
pub(crate) fn requested() -> bool {
    STOP.get().is_some_and(|flag| flag.load(Ordering::SeqCst))
}
