//! Offline IP enrichment: fills `asn`, `asn_org` and `country` from an
//! IP-range CSV/TSV (iptoasn's ip2asn layout, or the ip-location-db ASN and
//! country layouts) or a MaxMind-format `.mmdb` database.

use std::io::BufRead as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::error::{Context as _, StoreError, StoreResult};

/// What is known of an address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpInfo {
    /// Autonomous system number.
    pub asn: Option<i32>,
    /// Name of the autonomous system.
    pub asn_org: Option<String>,
    /// ISO-3166 alpha-2 country.
    pub country: Option<String>,
}

/// One address range and what is known of it.
#[derive(Debug, Clone)]
pub struct Range {
    start: u128,
    end: u128,
    info: IpInfo,
}

/// A loaded enrichment database.
pub enum IpDb {
    /// Sorted, non-overlapping ranges from a CSV/TSV file.
    Ranges { path: PathBuf, ranges: Vec<Range> },
    /// A MaxMind DB reader.
    Mmdb {
        path: PathBuf,
        reader: maxminddb::Reader<Vec<u8>>,
    },
}

/// Address as a number in one space: IPv4 maps to ::ffff:a.b.c.d.
fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Parses the first address of a (possibly `client, proxy`) address list.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let first = text.split(',').next()?.trim();
    let first = first.trim_start_matches('[');
    let first = first.split(']').next().unwrap_or(first);
    first.parse().ok().or_else(|| {
        // "a.b.c.d:port"
        first.rsplit_once(':').and_then(|(h, _)| h.parse().ok())
    })
}

#[derive(serde::Deserialize)]
struct MmdbRecord {
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
    country: Option<MmdbCountry>,
}

#[derive(serde::Deserialize)]
struct MmdbCountry {
    iso_code: Option<String>,
}

impl IpDb {
    /// Loads a database, choosing the reader by content: MaxMind files carry
    /// a metadata marker, everything else is read as a range table.
    pub fn load(path: &Path) -> StoreResult<IpDb> {
        let is_mmdb = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("mmdb"));
        if is_mmdb {
            let reader =
                maxminddb::Reader::open_readfile(path).map_err(|e| StoreError::NotWhatItSays {
                    path: path.into(),
                    reason: format!("not a readable MaxMind database ({e})"),
                })?;
            return Ok(IpDb::Mmdb {
                path: path.into(),
                reader,
            });
        }
        Self::load_ranges(path)
    }

    fn load_ranges(path: &Path) -> StoreResult<IpDb> {
        let file = std::fs::File::open(path).at(path, "cannot open the IP database")?;
        let reader: Box<dyn std::io::BufRead> = Box::new(std::io::BufReader::new(file));
        let mut ranges = Vec::new();
        for (i, line) in reader.lines().enumerate() {
            let line = line.at(path, "cannot read the IP database")?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = if line.contains('\t') {
                line.split('\t').collect()
            } else {
                split_csv_line(line)
            };
            let bad = |what: &str| StoreError::BadValue {
                path: path.into(),
                column: what.into(),
                row: format!("line {}", i + 1),
                problem: format!("cannot read {line:?}"),
            };
            let (Some(start), Some(end)) = (fields.first(), fields.get(1)) else {
                return Err(bad("range"));
            };
            let (Ok(start), Ok(end)) =
                (start.trim().parse::<IpAddr>(), end.trim().parse::<IpAddr>())
            else {
                if i == 0 {
                    continue; // A header line.
                }
                return Err(bad("range_start/range_end"));
            };
            let rest: Vec<&str> = fields[2..].iter().map(|f| f.trim()).collect();
            let info = match rest.as_slice() {
                // ip2asn: AS number, country, description.
                [asn, country, org, ..] => IpInfo {
                    asn: asn.parse().ok().filter(|a| *a != 0),
                    asn_org: Some(org.to_string()).filter(|o| !o.is_empty() && o != "Not routed"),
                    country: Some(country.to_string()).filter(|c| c.len() == 2 && c != "None"),
                },
                // ip-location-db ASN layout: number, organisation.
                [asn, org] if asn.parse::<i32>().is_ok() => IpInfo {
                    asn: asn.parse().ok(),
                    asn_org: Some(org.to_string()).filter(|o| !o.is_empty()),
                    country: None,
                },
                // ip-location-db country layout.
                [country] => IpInfo {
                    country: Some(country.to_string()).filter(|c| c.len() == 2),
                    ..Default::default()
                },
                _ => return Err(bad("asn/country")),
            };
            ranges.push(Range {
                start: ip_key(start),
                end: ip_key(end),
                info,
            });
        }
        if ranges.is_empty() {
            return Err(StoreError::NotWhatItSays {
                path: path.into(),
                reason: "no IP ranges found (expected range_start, range_end, then ASN and/or country columns)".into(),
            });
        }
        ranges.sort_by_key(|r| r.start);
        Ok(IpDb::Ranges {
            path: path.into(),
            ranges,
        })
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        match self {
            IpDb::Ranges { path, .. } | IpDb::Mmdb { path, .. } => path,
        }
    }

    /// Looks up one address.
    pub fn lookup(&self, ip: IpAddr) -> Option<IpInfo> {
        match self {
            IpDb::Ranges { ranges, .. } => {
                let key = ip_key(ip);
                let idx = ranges.partition_point(|r| r.start <= key);
                let r = ranges.get(idx.checked_sub(1)?)?;
                (key <= r.end).then(|| r.info.clone())
            }
            IpDb::Mmdb { reader, .. } => {
                let result = reader.lookup(ip).ok()?;
                let rec: MmdbRecord = result.decode().ok()??;
                Some(IpInfo {
                    asn: rec.autonomous_system_number.map(|a| a as i32),
                    asn_org: rec.autonomous_system_organization,
                    country: rec.country.and_then(|c| c.iso_code),
                })
            }
        }
    }
}

/// Splits one CSV line, honouring double quotes.
fn split_csv_line(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(line[start..i].trim_matches('"'));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(line[start..].trim_matches('"'));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ip2asn_and_location_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ip2asn-v4.tsv");
        std::fs::write(
            &p,
            "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n203.0.113.0\t203.0.113.255\t64500\tSG\tEXAMPLE-PROXY\n2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64501\tDE\tV6NET\n",
        )
        .unwrap();
        let db = IpDb::load(&p).unwrap();
        let info = db.lookup("203.0.113.45".parse().unwrap()).unwrap();
        assert_eq!(info.asn, Some(64500));
        assert_eq!(info.country.as_deref(), Some("SG"));
        assert_eq!(
            db.lookup("2001:db8::1".parse().unwrap()).unwrap().asn,
            Some(64501)
        );
        assert!(db.lookup("8.8.8.8".parse().unwrap()).is_none());

        let p = dir.path().join("country.csv");
        std::fs::write(
            &p,
            "ip_range_start,ip_range_end,country_code\n1.0.0.0,1.0.0.255,AU\n",
        )
        .unwrap();
        let db = IpDb::load(&p).unwrap();
        assert_eq!(
            db.lookup("1.0.0.7".parse().unwrap())
                .unwrap()
                .country
                .as_deref(),
            Some("AU")
        );
    }

    #[test]
    fn parses_forwarded_lists() {
        assert_eq!(
            parse_ip("203.0.113.45, 10.0.0.1"),
            Some("203.0.113.45".parse().unwrap())
        );
        assert_eq!(
            parse_ip("[2001:db8::1]:443"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_ip("garbage"), None);
    }
}
