//! SHA-256 and size of evidence files, so a case knows which bytes it was
//! made from and a changed evidence file is noticed.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use super::error::{Context as _, StoreResult};

/// What a case records of one evidence file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileFingerprint {
    /// Absolute path when the case was made.
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch (a quick change check).
    pub mtime: i64,
}

/// Size and modification time, without reading the file.
pub fn size_and_mtime(path: &Path) -> StoreResult<(u64, i64)> {
    let meta = std::fs::metadata(path).at(path, "cannot read file metadata")?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok((meta.len(), mtime))
}

/// SHA-256 of a file as lower-case hex.
pub fn sha256_file(path: &Path) -> StoreResult<String> {
    sha256_file_with(path, &mut |_| Ok(()))
}

/// SHA-256 of a file, streamed in 1 MiB reads; `on_read` hears the bytes
/// of each read and may stop the hashing by returning an error.
pub fn sha256_file_with(
    path: &Path,
    on_read: &mut dyn FnMut(u64) -> StoreResult<()>,
) -> StoreResult<String> {
    let mut file = std::fs::File::open(path).at(path, "cannot open for hashing")?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).at(path, "cannot read for hashing")?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        on_read(n as u64)?;
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of bytes as lower-case hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fingerprints several files in parallel.
pub fn fingerprint_files(paths: &[PathBuf]) -> StoreResult<Vec<FileFingerprint>> {
    paths
        .par_iter()
        .map(|path| {
            let abs = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let (size, mtime) = size_and_mtime(path)?;
            Ok(FileFingerprint {
                path: abs,
                sha256: sha256_file(path)?,
                size,
                mtime,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_known_bytes() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(sha256_file(&path).unwrap(), sha256_bytes(b"abc"));
    }
}
