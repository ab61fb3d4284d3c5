//! Every change the analyst can make to a workbook, as one enum: applying
//! an edit gives the new workbook and the audit line that says what
//! changed, so the GUI, the CLI, undo and the audit log share one path.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::model::{
    Campaign, CampaignProps, Note, NoteTarget, Workbook, check_props, default_colour,
};
use crate::analysis::summary::group_digits;

/// One change to the workbook.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// A new campaign with these accounts.
    Create {
        /// Name, colour (empty: the next default), status, confidence, notes.
        props: CampaignProps,
        /// Its accounts.
        accounts: BTreeSet<String>,
        /// Where they came from (a lasso, a cluster, a file), for the audit log.
        origin: String,
    },
    /// Accounts join a campaign.
    Add {
        /// Campaign name.
        campaign: String,
        /// The accounts.
        accounts: BTreeSet<String>,
        /// Where they came from.
        origin: String,
    },
    /// Accounts leave a campaign.
    Remove {
        /// Campaign name.
        campaign: String,
        /// The accounts.
        accounts: BTreeSet<String>,
        /// Why, or from where.
        origin: String,
    },
    /// New name, colour, status, confidence or notes.
    Update {
        /// Campaign name before the change.
        campaign: String,
        /// The properties after it.
        props: CampaignProps,
    },
    /// A campaign goes (its notes stay in the audit log).
    Delete {
        /// Campaign name.
        campaign: String,
    },
    /// A tag on accounts.
    Tag {
        /// The accounts.
        accounts: BTreeSet<String>,
        /// The tag.
        tag: String,
    },
    /// A tag off accounts.
    Untag {
        /// The accounts.
        accounts: BTreeSet<String>,
        /// The tag.
        tag: String,
    },
    /// A note pinned to a day, an account or a campaign.
    AddNote {
        /// What it is pinned to.
        target: NoteTarget,
        /// The text.
        text: String,
    },
    /// A note removed.
    DeleteNote {
        /// Its id.
        id: i64,
    },
    /// The analyst's word on a network for detection: hosting, not
    /// hosting, or (None) back to what its name says.
    MarkNetwork {
        /// AS number.
        asn: i64,
        /// Its name as the log has it (for the audit line).
        name: String,
        /// Hosting or not; None clears the mark.
        hosting: Option<bool>,
    },
}

/// One line of the audit log, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// create, add, remove, update, delete, tag, untag, note, delete_note, undo, redo.
    pub action: String,
    /// The campaign concerned, if any: its id and its name at the time.
    pub campaign_id: Option<i64>,
    /// Its name at the time.
    pub campaign: Option<String>,
    /// What changed, in words, with counts.
    pub detail: String,
}

/// Applies `edit` to `book` as `analyst` at `now`: the new workbook and its
/// audit line, or why it cannot be done (nothing changes then).
pub fn apply(
    book: &Workbook,
    edit: &Edit,
    analyst: &str,
    now: &str,
) -> Result<(Workbook, Change), String> {
    let mut next = book.clone();
    let change = match edit {
        Edit::Create {
            props,
            accounts,
            origin,
        } => {
            let id = book.next_campaign_id();
            let mut props = props.clone();
            props.name = props.name.trim().to_owned();
            if props.colour.trim().is_empty() {
                props.colour = default_colour(id).to_owned();
            }
            check_props(&props)?;
            if book.campaign(&props.name).is_some() {
                return Err(format!("a campaign called {:?} exists", props.name));
            }
            let name = props.name.clone();
            next.campaigns.push(Arc::new(Campaign {
                id,
                props,
                accounts: accounts.clone(),
                created_at: now.to_owned(),
                created_by: analyst.to_owned(),
            }));
            Change {
                action: "create".into(),
                campaign_id: Some(id),
                campaign: Some(name),
                detail: format!(
                    "created with {} accounts{}",
                    count(accounts.len()),
                    from(origin)
                ),
            }
        }
        Edit::Add {
            campaign,
            accounts,
            origin,
        } => {
            let (i, c) = find(book, campaign)?;
            let new: BTreeSet<String> = accounts.difference(&c.accounts).cloned().collect();
            if new.is_empty() {
                return Err(format!(
                    "every one of those accounts is already in {:?}",
                    c.props.name
                ));
            }
            let mut c2 = (**c).clone();
            c2.accounts.extend(new.iter().cloned());
            let detail = format!(
                "added {} accounts{} (now {}){}",
                count(new.len()),
                from(origin),
                count(c2.accounts.len()),
                listed(&new)
            );
            next.campaigns[i] = Arc::new(c2);
            Change {
                action: "add".into(),
                campaign_id: Some(c.id),
                campaign: Some(c.props.name.clone()),
                detail,
            }
        }
        Edit::Remove {
            campaign,
            accounts,
            origin,
        } => {
            let (i, c) = find(book, campaign)?;
            let gone: BTreeSet<String> = accounts.intersection(&c.accounts).cloned().collect();
            if gone.is_empty() {
                return Err(format!("none of those accounts is in {:?}", c.props.name));
            }
            let mut c2 = (**c).clone();
            c2.accounts.retain(|a| !gone.contains(a));
            let detail = format!(
                "removed {} accounts{} (now {}){}",
                count(gone.len()),
                from(origin),
                count(c2.accounts.len()),
                listed(&gone)
            );
            next.campaigns[i] = Arc::new(c2);
            Change {
                action: "remove".into(),
                campaign_id: Some(c.id),
                campaign: Some(c.props.name.clone()),
                detail,
            }
        }
        Edit::Update { campaign, props } => {
            let (i, c) = find(book, campaign)?;
            let mut props = props.clone();
            props.name = props.name.trim().to_owned();
            if props.colour.trim().is_empty() {
                props.colour = c.props.colour.clone();
            }
            check_props(&props)?;
            if let Some(other) = book.campaign(&props.name)
                && other.id != c.id
            {
                return Err(format!("a campaign called {:?} exists", props.name));
            }
            let detail = describe_update(&c.props, &props);
            if detail.is_empty() {
                return Err("nothing changed".into());
            }
            let mut c2 = (**c).clone();
            c2.props = props;
            next.campaigns[i] = Arc::new(c2);
            Change {
                action: "update".into(),
                campaign_id: Some(c.id),
                campaign: Some(c.props.name.clone()),
                detail,
            }
        }
        Edit::Delete { campaign } => {
            let (i, c) = find(book, campaign)?;
            next.campaigns.remove(i);
            Change {
                action: "delete".into(),
                campaign_id: Some(c.id),
                campaign: Some(c.props.name.clone()),
                detail: format!("deleted (it had {} accounts)", count(c.accounts.len())),
            }
        }
        Edit::Tag { accounts, tag } => {
            let tag = check_tag(tag)?;
            let tags = Arc::make_mut(&mut next.tags);
            let mut n = 0;
            for a in accounts {
                n += usize::from(tags.entry(a.clone()).or_default().insert(tag.clone()));
            }
            if n == 0 {
                return Err(format!("those accounts already carry the tag {tag:?}"));
            }
            Change {
                action: "tag".into(),
                campaign_id: None,
                campaign: None,
                detail: format!("tagged {} accounts {tag:?}{}", count(n), listed(accounts)),
            }
        }
        Edit::Untag { accounts, tag } => {
            let tags = Arc::make_mut(&mut next.tags);
            let mut n = 0;
            for a in accounts {
                if let Some(set) = tags.get_mut(a) {
                    n += usize::from(set.remove(tag));
                    if set.is_empty() {
                        tags.remove(a);
                    }
                }
            }
            if n == 0 {
                return Err(format!("none of those accounts carries the tag {tag:?}"));
            }
            Change {
                action: "untag".into(),
                campaign_id: None,
                campaign: None,
                detail: format!("removed the tag {tag:?} from {} accounts", count(n)),
            }
        }
        Edit::AddNote { target, text } => {
            let text = text.trim();
            if text.is_empty() {
                return Err("a note needs some text".into());
            }
            let campaign = match target {
                NoteTarget::Campaign(id) => Some(
                    book.campaign_by_id(*id)
                        .ok_or_else(|| format!("no campaign number {id}"))?,
                ),
                _ => None,
            };
            let id = book.next_note_id();
            Arc::make_mut(&mut next.notes).push(Note {
                id,
                target: target.clone(),
                text: text.to_owned(),
                author: analyst.to_owned(),
                at: now.to_owned(),
            });
            Change {
                action: "note".into(),
                campaign_id: campaign.map(|c| c.id),
                campaign: campaign.map(|c| c.props.name.clone()),
                detail: format!("note {id} on {}: {text}", book.target_label(target)),
            }
        }
        Edit::DeleteNote { id } => {
            let notes = Arc::make_mut(&mut next.notes);
            let i = notes
                .iter()
                .position(|n| n.id == *id)
                .ok_or_else(|| format!("no note number {id}"))?;
            let note = notes.remove(i);
            // A campaign's note leaves its trail too.
            let campaign = match note.target {
                NoteTarget::Campaign(c) => book.campaign_by_id(c),
                _ => None,
            };
            Change {
                action: "delete_note".into(),
                campaign_id: campaign.map(|c| c.id),
                campaign: campaign.map(|c| c.props.name.clone()),
                detail: format!(
                    "deleted note {id} on {}: {}",
                    book.target_label(&note.target),
                    note.text
                ),
            }
        }
        Edit::MarkNetwork { asn, name, hosting } => {
            let marks = Arc::make_mut(&mut next.networks);
            let before = marks.get(asn).copied();
            if before == *hosting {
                return Err(format!("AS{asn} is already marked so"));
            }
            match hosting {
                Some(h) => marks.insert(*asn, *h),
                None => marks.remove(asn),
            };
            let word = |h: Option<bool>| match h {
                Some(true) => "hosting",
                Some(false) => "not hosting",
                None => "as its name reads",
            };
            Change {
                action: "network".into(),
                campaign_id: None,
                campaign: None,
                detail: format!(
                    "AS{asn}{} marked {} for detection (was {})",
                    if name.is_empty() {
                        String::new()
                    } else {
                        format!(" {name}")
                    },
                    word(*hosting),
                    word(before)
                ),
            }
        }
    };
    Ok((next, change))
}

fn count(n: usize) -> String {
    group_digits(n as i64)
}

fn find<'a>(book: &'a Workbook, name: &str) -> Result<(usize, &'a Arc<Campaign>), String> {
    book.campaigns
        .iter()
        .enumerate()
        .find(|(_, c)| c.props.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| format!("no campaign called {name:?}"))
}

fn check_tag(tag: &str) -> Result<String, String> {
    let tag = tag.trim();
    if tag.is_empty() || tag.chars().any(char::is_control) {
        return Err(format!("not a tag: {tag:?}"));
    }
    Ok(tag.to_owned())
}

fn from(origin: &str) -> String {
    if origin.is_empty() {
        String::new()
    } else {
        format!(" from {origin}")
    }
}

/// The accounts named in the audit line when there are few, so a reviewer
/// can follow small hand edits exactly; large edits give the count only.
fn listed(accounts: &BTreeSet<String>) -> String {
    const NAMED: usize = 20;
    if accounts.len() <= NAMED {
        format!(
            ": {}",
            accounts.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    } else {
        String::new()
    }
}

fn describe_update(before: &CampaignProps, after: &CampaignProps) -> String {
    let mut parts = Vec::new();
    if before.name != after.name {
        parts.push(format!("renamed {:?} → {:?}", before.name, after.name));
    }
    if !before.colour.eq_ignore_ascii_case(&after.colour) {
        parts.push(format!("colour {} → {}", before.colour, after.colour));
    }
    if before.status != after.status {
        parts.push(format!(
            "status {} → {}",
            before.status.name(),
            after.status.name()
        ));
    }
    if before.confidence != after.confidence {
        parts.push(format!(
            "confidence {}% → {}%",
            before.confidence, after.confidence
        ));
    }
    if before.notes != after.notes {
        parts.push(format!("notes: {}", after.notes));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_note_is_logged_by_its_campaign_name_when_made_and_deleted() {
        let create = Edit::Create {
            props: CampaignProps {
                name: "Hydra".into(),
                colour: String::new(),
                status: Default::default(),
                confidence: 50,
                notes: String::new(),
            },
            accounts: ["acct_1".to_owned()].into(),
            origin: "a test".into(),
        };
        let (book, _) = apply(&Workbook::default(), &create, "ana", "t0").unwrap();
        let id = book.campaign("Hydra").unwrap().id;
        let note = Edit::AddNote {
            target: NoteTarget::Campaign(id),
            text: "one proxy pool".into(),
        };
        let (book, added) = apply(&book, &note, "ana", "t1").unwrap();
        assert_eq!(added.detail, "note 1 on campaign \"Hydra\": one proxy pool");
        let (_, deleted) = apply(&book, &Edit::DeleteNote { id: 1 }, "ana", "t2").unwrap();
        let mark = Edit::MarkNetwork {
            asn: 64512,
            name: "Velox Networks Ltd".into(),
            hosting: Some(true),
        };
        let (marked, line) = apply(&book, &mark, "ana", "t3").unwrap();
        assert_eq!(marked.networks.get(&64512), Some(&true));
        assert_eq!(
            line.detail,
            "AS64512 Velox Networks Ltd marked hosting for detection (was as its name reads)"
        );
        assert!(apply(&marked, &mark, "ana", "t4").is_err());
        assert_eq!(
            deleted.campaign_id,
            Some(id),
            "it stays in the campaign's trail"
        );
        assert_eq!(
            deleted.detail,
            "deleted note 1 on campaign \"Hydra\": one proxy pool"
        );
    }
}
