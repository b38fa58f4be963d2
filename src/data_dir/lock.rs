//! One process per data directory: `serve`, `replay` and `migrate` hold an exclusive lock
//! on `<data dir>/issuance.lock` while they run, so a second one on the same directory
//! stops at once with a clear error instead of writing the same stores and files.
//!
//! The lock is an advisory `flock`, released by the kernel when the process ends (also when
//! it is killed), so a crash never leaves a stale lock behind. The file holds the holder's
//! process id, for the error message only. Read-only commands (`audit verify`) take no lock
//! and may run beside the service.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::data_dir::private_files;

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "issuance.lock";

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "another issuance process{holder} is using the data directory {dir} (it holds {file}); \
         stop it first, or give this process a data directory of its own (every node of a \
         cluster needs its own)"
    )]
    Held {
        /// The data directory.
        dir: String,
        /// The lock file.
        file: String,
        /// " (pid N)" when known.
        holder: String,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock the data directory {dir} ({file}): {source}")]
    Io {
        /// The data directory.
        dir: String,
        /// The lock file.
        file: String,
        /// The IO error.
        source: std::io::Error,
    },
}

/// The held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Locks `data_dir` (which must exist) for this process, or fails at once if another
    /// process (or another open of the lock in this one) holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            dir: data_dir.display().to_string(),
            file: path.display().to_string(),
            source,
        };
        let mut file = match private_files::create_new(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io)?,
            Err(e) => return Err(io(e)),
        };
        private_files::set_mode(&path, private_files::FILE_MODE).map_err(io)?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                let mut pid = String::new();
                let _ = std::fs::File::open(&path).and_then(|mut f| f.read_to_string(&mut pid));
                let pid = pid.trim();
                return Err(LockError::Held {
                    dir: data_dir.display().to_string(),
                    file: path.display().to_string(),
                    holder: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            Err(errno) => return Err(io(errno.into())),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DataDirLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_until_the_first_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let error = DataDirLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(error.contains("another issuance process"), "{error}");
        assert!(
            error.contains(&format!("pid {}", std::process::id())),
            "{error}"
        );
        drop(first);
        let again = DataDirLock::acquire(dir.path()).unwrap();
        assert!(again.path().ends_with(LOCK_FILE));
    }
}
