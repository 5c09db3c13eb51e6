//! A child's output streams, captured up to [`CAPTURE_LIMIT`] bytes each on
//! background threads (so a chatty peer never blocks), and its stdin, fed
//! from a channel (so a writer never blocks).

use super::CAPTURE_LIMIT;
use std::io::{self, ErrorKind, Read, Write};
use std::process::ChildStdin;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// One of a child's output streams, captured up to [`CAPTURE_LIMIT`] bytes.
#[derive(Debug, Default)]
pub(super) struct Capture {
    state: Mutex<CaptureState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct CaptureState {
    bytes: Vec<u8>,
    /// Bytes read past [`CAPTURE_LIMIT`] and dropped.
    dropped: u64,
    eof: bool,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

impl Capture {
    /// Reads `source` to its end on a background thread.
    pub(super) fn start<R: Read + Send + 'static>(
        this: &Arc<Self>,
        source: Option<R>,
        name: &str,
    ) -> io::Result<()> {
        let Some(source) = source else {
            this.finish();
            return Ok(());
        };
        let capture = Arc::clone(this);
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || capture.fill(source))
            .map(drop)
    }

    fn fill(&self, mut source: impl Read) {
        let mut buf = [0u8; 8192];
        loop {
            match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let chunk = buf.get(..n).unwrap_or_default();
                    let mut state = self.lock();
                    let keep = CAPTURE_LIMIT
                        .saturating_sub(state.bytes.len())
                        .min(chunk.len());
                    state
                        .bytes
                        .extend_from_slice(chunk.get(..keep).unwrap_or_default());
                    state.dropped = state.dropped.saturating_add((chunk.len() - keep) as u64);
                    self.changed.notify_all();
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.finish();
    }

    fn finish(&self) {
        self.lock().eof = true;
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, CaptureState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    pub(super) fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    pub(super) fn contains(&self, needle: &[u8]) -> bool {
        contains(&self.lock().bytes, needle)
    }

    /// Waits until `done` holds or the stream ends or `deadline` passes;
    /// returns `done`'s last answer.
    fn wait_until(&self, deadline: Instant, done: impl Fn(&CaptureState) -> bool) -> bool {
        let mut state = self.lock();
        loop {
            if done(&state) {
                return true;
            }
            let now = Instant::now();
            if state.eof || now >= deadline {
                return false;
            }
            state = match self.changed.wait_timeout(state, deadline - now) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    pub(super) fn wait_for(&self, needle: &[u8], timeout: Duration) -> bool {
        self.wait_until(Instant::now() + timeout, |s| contains(&s.bytes, needle))
    }

    pub(super) fn wait_eof(&self, deadline: Instant) {
        self.wait_until(deadline, |s| s.eof);
    }
}

/// Feeds the child's stdin from a channel, so writers never block on a full
/// pipe. Dropping the sender closes stdin after the queued bytes.
pub(super) fn start_stdin_writer(mut stdin: ChildStdin) -> io::Result<Sender<Vec<u8>>> {
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    thread::Builder::new()
        .name("peer-stdin".to_owned())
        .spawn(move || {
            for chunk in rx {
                if stdin
                    .write_all(&chunk)
                    .and_then(|()| stdin.flush())
                    .is_err()
                {
                    break;
                }
            }
        })?;
    Ok(tx)
}
