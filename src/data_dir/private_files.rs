//! Owner-only files, whatever the process umask: the data directory and the directories the
//! service creates are `0700`; databases (with their WAL and shared-memory files), keys,
//! secrets and the lock file are `0600`. Modes are set explicitly after creation, because
//! a mode given to `open` or `mkdir` is only an upper bound that the umask narrows (and
//! SQLite creates databases `0644` before the umask).

use std::fs;
use std::io;
use std::path::Path;

/// Mode of every directory the service creates.
pub const DIR_MODE: u32 = 0o700;

/// Mode of every file the service creates.
pub const FILE_MODE: u32 = 0o600;

/// Sets `path`'s permission bits to `mode` (no-op where there are no Unix modes).
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Creates `dir` with its missing parents; the directories created here become `0700`
/// (existing ones keep their mode: a configured path may lie in a directory the service
/// does not own).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(path) = current {
        if path.as_os_str().is_empty() || path.exists() {
            break;
        }
        missing.push(path);
        current = path.parent();
    }
    fs::create_dir_all(dir)?;
    for path in missing {
        set_mode(path, DIR_MODE)?;
    }
    Ok(())
}

/// Creates the data directory if needed and makes it `0700` (also when it existed: it
/// holds the embedded stores, keys and secrets, so nobody else may list or enter it).
pub fn create_data_dir(dir: &Path) -> io::Result<()> {
    create_dir(dir)?;
    set_mode(dir, DIR_MODE)
}

/// Opens `path` for writing as a new `0600` file, creating its parent directories.
pub fn create_new(path: &Path) -> io::Result<fs::File> {
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = options.open(path)?;
    set_mode(path, FILE_MODE)?;
    Ok(file)
}

/// Prepares an SQLite database file before SQLite opens it: creates it (empty, which
/// SQLite takes for a new database) and its parents if missing, and makes it and any
/// `-wal`, `-shm` and `-journal` file beside it `0600`. SQLite creates those three with the
/// database file's own mode, so they stay `0600` too.
pub fn prepare_sqlite(path: &Path) -> io::Result<()> {
    if !path.exists() {
        match create_new(path) {
            Ok(_) => {}
            // Created concurrently by another opener of the same file.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    set_mode(path, FILE_MODE)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let companion = Path::new(&name);
        if companion.exists() {
            set_mode(companion, FILE_MODE)?;
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn created_directories_and_files_are_owner_only() {
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        set_mode(root.path(), 0o755).unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), DIR_MODE);
        assert_eq!(mode(&root.path().join("a")), DIR_MODE);
        assert_eq!(
            mode(root.path()),
            0o755,
            "an existing parent keeps its mode"
        );

        let database = dir.join("x.db");
        let wal = dir.join("x.db-wal");
        fs::write(&wal, b"").unwrap();
        set_mode(&wal, 0o644).unwrap();
        prepare_sqlite(&database).unwrap();
        assert_eq!(mode(&database), FILE_MODE);
        assert_eq!(mode(&wal), FILE_MODE, "an existing WAL is tightened too");

        create_data_dir(root.path()).unwrap();
        assert_eq!(
            mode(root.path()),
            DIR_MODE,
            "the data directory is tightened"
        );
    }
}
