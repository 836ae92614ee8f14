//! A spinner on stderr while requests are in flight, only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

/// A running spinner; dropping it (or calling [`Spinner::stop`]) clears its line.
pub struct Spinner {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spinner {
    /// Starts a spinner with `message`, unless `quiet` or stderr is not a terminal.
    pub fn start(message: String, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self { task: None };
        }
        let task = tokio::spawn(async move {
            const FRAMES: &[char] = &['|', '/', '-', '\\'];
            for frame in FRAMES.iter().cycle() {
                eprint!("\r{frame} {message}");
                let _ = std::io::stderr().flush();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self { task: Some(task) }
    }

    /// Stops the spinner and clears its line.
    pub fn stop(mut self) {
        self.clear();
    }

    fn clear(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.clear();
    }
}
