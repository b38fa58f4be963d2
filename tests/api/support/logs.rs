//! The service's tracing output, captured in memory.
//!
//! The service runs inside the test binary, so its events go to the process's global
//! subscriber. The first test that asks installs one that records every event of the
//! engine's crates at TRACE level (and other crates' at INFO) into a buffer; from then on
//! every test's output lands there, so a test looks only for values unique to it.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The captured output (shared by every test of the binary).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Everything captured so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

/// A writer appending to the capture.
pub struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogCapture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter(self.0.clone())
    }
}

/// The capture, installed as the global subscriber on first use. Panics if another
/// subscriber was installed first (the capture would then see nothing).
pub fn capture_logs() -> LogCapture {
    static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = LogCapture::default();
            tracing_subscriber::fmt()
                .with_env_filter(EnvFilter::new(
                    "info,issuance=trace,issuance_domain=trace,issuance_projections=trace,issuance_credential=trace",
                ))
                .with_ansi(false)
                .with_writer(capture.clone())
                .try_init()
                .expect("no other global tracing subscriber");
            capture
        })
        .clone()
}
