//! Issuer keys as files: one private JWK per file, named `<created-unix-seconds>-<kid>.jwk`,
//! written owner-only (0600) and atomically (temporary file, fsync, rename).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;

use super::{KeyError, SigningKey};
use crate::jwk::thumbprint;

/// File name suffix of a key file.
const EXTENSION: &str = "jwk";

/// Seconds since the Unix epoch, from the system clock. Key creation is an adapter concern
/// (not domain logic), so reading the clock here is acceptable.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Every key in `dir`, oldest first (by creation time, then kid).
pub(crate) fn read_keys(dir: &Path) -> Result<Vec<SigningKey>, KeyError> {
    let entries = fs::read_dir(dir).map_err(|e| KeyError::io(dir, e))?;
    let mut keys = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| KeyError::io(dir, e))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.starts_with('.') || path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
            continue; // temporary files of an interrupted write, unrelated files
        }
        keys.push(read_key_file(&path, name)?);
    }
    keys.sort_by(|a, b| (a.created(), a.kid()).cmp(&(b.created(), b.kid())));
    Ok(keys)
}

/// Parses one `<created>-<kid>.jwk` file; the name's kid must be the key's thumbprint, so a
/// renamed or corrupted file is refused instead of being published under a wrong kid.
fn read_key_file(path: &Path, name: &str) -> Result<SigningKey, KeyError> {
    let invalid = |reason: String| KeyError::InvalidKeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let stem = name.trim_end_matches(".jwk");
    let (created, kid) = stem
        .split_once('-')
        .and_then(|(created, kid)| Some((created.parse::<i64>().ok()?, kid)))
        .ok_or_else(|| invalid("file name is not <created-unix-seconds>-<kid>.jwk".into()))?;
    let bytes = fs::read(path).map_err(|e| KeyError::io(path, e))?;
    let jwk = Jwk::from_bytes(&bytes).map_err(|e| invalid(e.to_string()))?;
    let actual = thumbprint(&jwk).map_err(|e| invalid(e.to_string()))?;
    if actual != kid {
        return Err(invalid(format!(
            "file name kid {kid} does not match the key thumbprint {actual}"
        )));
    }
    SigningKey::from_private_jwk(&jwk, created, None).map_err(|e| invalid(e.to_string()))
}

/// Generates a P-256 key created at `created`, stores it in `dir` and returns its kid.
pub(crate) fn generate_into(dir: &Path, created: i64) -> Result<String, KeyError> {
    let mut jwk =
        Jwk::generate_ec_key(EcCurve::P256).map_err(|e| KeyError::Generate(e.to_string()))?;
    let kid = thumbprint(&jwk).map_err(|e| KeyError::Generate(e.to_string()))?;
    jwk.set_key_id(&kid);
    jwk.set_algorithm(SigningKey::ALG);
    jwk.set_key_use("sig");
    // Parse it back before writing, so an unusable key never reaches the disk.
    SigningKey::from_private_jwk(&jwk, created, None)?;
    let name = format!("{created}-{kid}.{EXTENSION}");
    write_private(dir, &name, jwk.to_string().as_bytes())?;
    Ok(kid)
}

/// Creates `dir` (0700 on Unix, whatever the umask) if it does not exist.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| KeyError::io(dir, e))?;
    owner_only(dir, 0o700).map_err(|e| KeyError::io(dir, e))
}

/// Sets `path`'s mode exactly (the mode given at creation is narrowed by the umask).
fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
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

/// Writes `dir/name` with mode 0600 via a temporary file and a rename, so a crash leaves
/// either no key or a complete one.
fn write_private(dir: &Path, name: &str, contents: &[u8]) -> Result<(), KeyError> {
    let temporary: PathBuf = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&temporary)?;
        owner_only(&temporary, 0o600)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temporary, &target)?;
        // Persist the rename itself; not every platform can open a directory, so best effort.
        if let Ok(directory) = fs::File::open(dir) {
            let _ = directory.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&temporary);
        KeyError::io(&target, e)
    })
}
