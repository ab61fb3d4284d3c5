//! The pack's manifest (`manifest.json`): what is in the pack, each file's
//! SHA-256 and size, where the data came from (evidence and case hashes),
//! how it was selected (filters and SQL), by whom and when; and `verify`,
//! which recomputes the hashes and names every file that was altered,
//! removed or added since.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::store::error::{Context as _, StoreError, StoreResult};
use crate::store::fingerprint::{self, FileFingerprint};

/// The manifest's own file name.
pub const MANIFEST: &str = "manifest.json";

/// What the format field says, so a reader knows which fields to expect.
pub const FORMAT: &str = "distillscope-evidence-pack/1";

/// One file of the pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackFile {
    /// Name inside the pack folder.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Data rows (CSV files, header not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// What it holds.
    pub description: String,
}

/// The campaign a pack documents, as it stood at export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackCampaign {
    /// Stable number in the case.
    pub id: i64,
    /// Name.
    pub name: String,
    /// suspected, confirmed or dismissed.
    pub status: String,
    /// The analyst's confidence in percent.
    pub confidence: u8,
    /// Member accounts.
    pub accounts: usize,
    /// The analyst's notes on it.
    pub notes: String,
}

/// A hashed file the pack was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Path when the pack was made.
    pub path: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

impl From<&FileFingerprint> for SourceFile {
    fn from(f: &FileFingerprint) -> SourceFile {
        SourceFile {
            path: f.path.display().to_string(),
            sha256: f.sha256.clone(),
            size: f.size,
        }
    }
}

/// How the exchanges were chosen when not all were written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sampling {
    /// How many rows were asked for.
    pub rows: u64,
    /// Of how many exchanges of the campaign.
    pub of: u64,
    /// The method, in words and as SQL.
    pub method: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `distillscope-evidence-pack/1`.
    pub format: String,
    /// distillscope version that wrote it.
    pub tool_version: String,
    /// When (UTC, RFC 3339).
    pub created_at: String,
    /// Who (the analyst name setting).
    pub analyst: String,
    /// The campaign.
    pub campaign: PackCampaign,
    /// The evidence files, as the case recorded them (checked against the
    /// files on disk by size and time when the case was opened).
    pub evidence: Vec<SourceFile>,
    /// The case file at export.
    pub case: SourceFile,
    /// The filter every file applies, in words.
    pub filters: BTreeMap<String, String>,
    /// The SQL that produced each CSV, by file name (run on the case file,
    /// with `pack_accounts` holding the campaign's accounts).
    pub queries: BTreeMap<String, String>,
    /// Set when exchanges.csv holds a sample.
    pub sampling: Option<Sampling>,
    /// Whether accounts.csv carries detection scores, with the settings used.
    pub detection: Option<String>,
    /// How the CSV files are written.
    pub csv_rules: Vec<String>,
    /// Every other file of the pack.
    pub files: Vec<PackFile>,
    /// The case's chain of custody at export: who built, rebuilt, opened and
    /// exported it, when, with which version.
    #[serde(default)]
    pub custody: Vec<crate::case::store::CustodyEntry>,
}

/// Hashes `names` inside `dir` in parallel (large files dominate, so each
/// file is one task).
pub fn hash_files(dir: &Path, names: &[String]) -> StoreResult<Vec<(u64, String)>> {
    names.par_iter().map(|n| hash_file(&dir.join(n))).collect()
}

/// Size and SHA-256 of one file.
pub fn hash_file(path: &Path) -> StoreResult<(u64, String)> {
    let size = std::fs::metadata(path)
        .at(path, "cannot read file metadata")?
        .len();
    Ok((size, fingerprint::sha256_file(path)?))
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Files whose bytes match the manifest.
    pub intact: Vec<String>,
    /// Files whose size or SHA-256 differ: name and what differs.
    pub altered: Vec<(String, String)>,
    /// Files the manifest lists that are gone.
    pub missing: Vec<String>,
    /// Files in the folder the manifest does not list.
    pub added: Vec<String>,
    /// SHA-256 of manifest.json itself (the pack's fingerprint).
    pub manifest_sha256: String,
}

impl Verification {
    /// Whether the pack is exactly as exported.
    pub fn is_intact(&self) -> bool {
        self.altered.is_empty() && self.missing.is_empty() && self.added.is_empty()
    }

    /// The findings in words, one line each.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for (name, why) in &self.altered {
            out.push_str(&format!("ALTERED  {name}: {why}\n"));
        }
        for name in &self.missing {
            out.push_str(&format!("MISSING  {name}\n"));
        }
        for name in &self.added {
            out.push_str(&format!("ADDED    {name} (not in the manifest)\n"));
        }
        if self.is_intact() {
            out.push_str(&format!(
                "OK: all {} files match manifest.json (manifest SHA-256 {})\n",
                self.intact.len(),
                self.manifest_sha256
            ));
        } else {
            out.push_str(&format!(
                "NOT INTACT: {} altered, {} missing, {} added; {} intact\n",
                self.altered.len(),
                self.missing.len(),
                self.added.len(),
                self.intact.len()
            ));
        }
        out
    }
}

/// Reads a pack's manifest.
pub fn read(dir: &Path) -> StoreResult<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|_| StoreError::NotWhatItSays {
        path: path.clone(),
        reason: "no manifest.json: not an evidence pack, or its manifest was removed".into(),
    })?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| StoreError::NotWhatItSays {
            path: path.clone(),
            reason: format!(
                "unreadable manifest (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        })?;
    if manifest.format != FORMAT {
        return Err(StoreError::NotWhatItSays {
            path,
            reason: format!("manifest format {:?}, expected {FORMAT:?}", manifest.format),
        });
    }
    Ok(manifest)
}

/// Recomputes every file's size and SHA-256 against the manifest.
pub fn verify(dir: &Path) -> StoreResult<Verification> {
    let manifest = read(dir)?;
    let mut out = Verification {
        manifest_sha256: fingerprint::sha256_file(&dir.join(MANIFEST))?,
        ..Verification::default()
    };
    let listed: Vec<&PackFile> = manifest.files.iter().collect();
    let found: Vec<Option<(u64, String)>> = listed
        .par_iter()
        .map(|f| {
            let p = dir.join(&f.name);
            p.is_file()
                .then(|| {
                    let size = std::fs::metadata(&p).ok()?.len();
                    Some((size, fingerprint::sha256_file(&p).ok()?))
                })
                .flatten()
        })
        .collect();
    for (f, got) in listed.iter().zip(found) {
        match got {
            None => out.missing.push(f.name.clone()),
            Some((size, sha)) if size != f.size || sha != f.sha256 => out.altered.push((
                f.name.clone(),
                format!(
                    "manifest says {} bytes, SHA-256 {}; found {size} bytes, SHA-256 {sha}",
                    f.size, f.sha256
                ),
            )),
            Some(_) => out.intact.push(f.name.clone()),
        }
    }
    let names: std::collections::BTreeSet<&str> =
        manifest.files.iter().map(|f| f.name.as_str()).collect();
    let mut entries: Vec<String> = std::fs::read_dir(dir)
        .at(dir, "cannot list the pack folder")?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != MANIFEST && !names.contains(n.as_str()))
        .collect();
    entries.sort();
    out.added = entries;
    Ok(out)
}
