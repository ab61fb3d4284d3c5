//! The real app driven through egui_kittest on the bundled sample: no GPU,
//! no window. Each test opens the sample's case, clicks through a view and
//! checks what the analyst would see.

mod common;

use common::app::{
    accounts_total, app_on, busiest_account, opened, opened_sample, own_sample_case, settle, show,
};
use distillscope::analysis::views::AccountColumn;
use distillscope::ui::App;
use distillscope::ui::commands::View;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

#[test]
fn opens_the_sample_and_every_view_shows_its_data() {
    let mut h = opened_sample();
    h.get_by_label("1,374,203");
    h.get_by_label("atlas-5 released");
    show(&mut h, View::Timeline);
    h.get_by_label("Stack by");
    show(&mut h, View::Categories);
    h.get_by_label_contains("All 1,374,203 exchanges");
    show(&mut h, View::Accounts);
    h.get_by_label("5,218 accounts");
    show(&mut h, View::Exchanges);
    h.get_by_label("1–200 of 1,374,203 exchanges");
    show(&mut h, View::Account);
    h.get_by_label_contains("Double-click an account");
}

/// Drags across the timeline's bars from x `from` to x `to`.
fn brush(h: &mut Harness<'_, App>, from: f32, to: f32) {
    let (a, b) = (egui::pos2(from, 450.0), egui::pos2(to, 450.0));
    h.hover_at(a);
    h.step();
    h.drag_at(a);
    h.step();
    h.hover_at(egui::pos2((from + to) / 2.0, 450.0));
    h.step();
    h.hover_at(b);
    h.step();
    h.drop_at(b);
    settle(h);
}

#[test]
fn brushing_the_timeline_filters_categories_and_accounts() {
    let mut h = opened_sample();
    show(&mut h, View::Timeline);
    brush(&mut h, 400.0, 560.0);
    let days = h.state().selection().days.expect("a brushed range");
    assert!(days.last - days.first >= 5, "{days:?}");
    h.get_by_label_contains("Selected 2026-");
    show(&mut h, View::Categories);
    h.get_by_label_contains("Selection (days 2026-");
    show(&mut h, View::Accounts);
    let brushed = accounts_total(&h);
    assert!(
        brushed > 0 && brushed < 5218,
        "{brushed} accounts in the brushed range"
    );
    // Escape clears the selection, and every account is back.
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert!(h.state().selection().is_empty());
    assert_eq!(accounts_total(&h), 5218);
    // Back restores the range.
    h.key_press_modifiers(egui::Modifiers::ALT, egui::Key::ArrowLeft);
    settle(&mut h);
    assert_eq!(h.state().selection().days, Some(days));
}

#[test]
fn clicking_a_category_selects_it_everywhere() {
    let mut h = opened_sample();
    show(&mut h, View::Categories);
    h.get_by_label("rubric_grading").click();
    settle(&mut h);
    let sel = h.state().selection().clone();
    assert_eq!(
        sel.categories.iter().collect::<Vec<_>>(),
        ["rubric_grading"]
    );
    // The chip shows it, and the accounts table follows.
    assert_eq!(
        h.get_all_by_label("rubric_grading").count(),
        2,
        "table row and chip"
    );
    show(&mut h, View::Accounts);
    let with_category = accounts_total(&h);
    assert!(with_category < 5218, "{with_category}");
    show(&mut h, View::Exchanges);
    h.get_by_label("1–200 of 30,321 exchanges");
}

#[test]
fn sorting_the_accounts_table() {
    let mut h = opened_sample();
    show(&mut h, View::Accounts);
    h.get_by_label("Active days").click();
    settle(&mut h);
    assert_eq!(
        h.state().state.accounts.query.sort,
        AccountColumn::ActiveDays
    );
    let read = |h: &mut Harness<'_, App>| -> Vec<i64> {
        let s = h.state_mut().session_mut().expect("session");
        (0..40)
            .filter_map(|i| s.account_row(i).map(|(b, j)| b.active_days[j]))
            .collect()
    };
    let days = read(&mut h);
    assert_eq!(days.len(), 40);
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "{days:?}");
    // Again: ascending.
    h.get_by_label("Active days ▼").click();
    settle(&mut h);
    let days = read(&mut h);
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
}

#[test]
fn opening_an_account_shows_its_page() {
    let mut h = opened_sample();
    let busiest = busiest_account(&h);
    h.get_by_label(&busiest).click();
    settle(&mut h);
    assert_eq!(h.state().view(), View::Account);
    h.get_by_label_contains("Linked accounts (");
    h.get_by_label_contains("Prompt templates (");
    h.get_by_label_contains("IP addresses (");
    h.get_by_label_contains("Networks (ASN) (");
}

#[test]
fn the_path_field_opens_files_and_reports_broken_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.parquet");
    std::fs::write(&broken, "this is not parquet").expect("write");
    let mut h = app_on(None);
    h.run_steps(2);
    h.get_by_label("Open path…").click();
    h.run_steps(6);
    let field = h.get_by_role(Role::TextInput);
    field.type_text(&dir.path().join("missing.parquet").display().to_string());
    h.run_steps(1);
    h.get_by_label("Open").click();
    h.run_steps(2);
    h.get_by_label_contains("No such file or folder");
    // Now the broken one.
    h.get_by_role(Role::TextInput).focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role(Role::TextInput)
        .type_text(&broken.display().to_string());
    h.run_steps(1);
    h.get_by_label("Open").click();
    settle(&mut h);
    assert!(h.state().session().is_none());
    let errors = h.state().notifications.texts().join("\n");
    assert!(errors.contains("broken.parquet"), "{errors}");
    h.get_by_label_contains("broken.parquet");
    assert!(
        !dir.path().join("broken.case.duckdb").exists(),
        "no half-built case"
    );
}

/// Presses and releases the primary button at `p`.
fn click_at(h: &mut Harness<'_, App>, p: egui::Pos2) {
    h.hover_at(p);
    h.step();
    h.drag_at(p);
    h.step();
    h.drop_at(p);
    h.step();
}

#[test]
fn the_network_view_opens_selects_and_finds() {
    let mut h = opened_sample();
    show(&mut h, View::Network);
    settle(&mut h);
    let scene = h
        .state()
        .network
        .scene()
        .expect("the graph is loaded")
        .clone();
    assert!(scene.graph.clusters.len() > 2, "clusters found");
    // Searching another account flies to it and shows its card.
    let other = scene.members[2]
        .iter()
        .copied()
        .find(|n| !scene.graph.is_hub(*n as usize))
        .expect("an account in cluster 2");
    let other_id = scene.graph.accounts[other as usize].clone();
    let is_search = |n: &egui_kittest::kittest::AccessKitNode<'_>| {
        n.placeholder() == Some("account, IP, ASN, payment…")
    };
    h.get_by(is_search).focus();
    h.step();
    h.get_by(is_search).type_text(&other_id);
    h.step();
    h.get_by_label("Find").click();
    settle(&mut h);
    assert_eq!(h.state().network.search_text(), other_id);
    assert_eq!(h.state().network.focused_node(), Some(other));
    assert!(h.state().network.expanded().contains(&2));
    h.get_by_label(&other_id);
    // Clicking a small cluster (drawn closed at this zoom) shows what its
    // accounts share; Open lays it out into its accounts.
    // A Shift-drag box around the smallest cluster selects its accounts.
    let (small, at) = box_smallest_cluster(&mut h, &scene);
    let boxed = &h.state().selection().accounts;
    for n in &scene.members[small as usize] {
        if !scene.graph.is_hub(*n as usize) {
            assert!(
                boxed.contains(&scene.graph.accounts[*n as usize]),
                "the box selected every account of cluster {small}"
            );
        }
    }
    click_at(&mut h, at);
    h.get_by_label_contains("Shared by its accounts");
    h.get_by_label("Open").click();
    settle(&mut h);
    assert!(
        h.state().network.expanded().contains(&small),
        "cluster {small} opened"
    );
    // Its accounts go into the one selection every view follows.
    h.get_by_label("Select its accounts").click();
    settle(&mut h);
    let expected: Vec<&String> = scene.members[small as usize]
        .iter()
        .filter(|n| !scene.graph.is_hub(**n as usize))
        .map(|n| &scene.graph.accounts[*n as usize])
        .collect();
    assert_eq!(
        h.state().selection().accounts.iter().collect::<Vec<_>>(),
        expected
    );
    // Pausing the live layout of the opened cluster holds it still.
    h.get_by_label("Pause layout").click();
    settle(&mut h);
    h.get_by_label("Resume layout");
}

#[test]
fn the_suspects_view_explains_a_cluster_and_selects_it_everywhere() {
    let mut h = opened_sample();
    show(&mut h, View::Suspects);
    settle(&mut h);
    h.get_by_label_contains("accounts flagged, in 4 campaigns");
    // The top cluster's explanation, in words, with every signal's row.
    h.get_by_label_contains("Flagged — score 4.0 of 4");
    h.get_by_label_contains("of traffic on scripted templates shared across accounts");
    h.get_by_label("● proxy rotation");
    // One click selects its accounts in every view.
    let n = h
        .state()
        .session()
        .and_then(|s| s.scan.value().map(|scan| scan.clusters[0].members.len()))
        .expect("the scan is shown");
    let button = format!(
        "Select these {} accounts",
        distillscope::analysis::summary::group_digits(n as i64)
    );
    h.get_by_label(&button).click();
    settle(&mut h);
    assert_eq!(h.state().selection().accounts.len(), n);
    // The account page explains the verdict of one of them.
    let busiest = busiest_account(&h);
    show(&mut h, View::Overview);
    h.get_by_label(&busiest).click();
    settle(&mut h);
    assert_eq!(h.state().view(), View::Account);
    h.get_by_label_contains("— score");
    // The unflagged ranking shows the honest look-alikes below the flag.
    show(&mut h, View::Suspects);
    h.get_by_label("Flagged only").click();
    settle(&mut h);
    assert!(
        h.get_all_by_label_contains("infra ×0.5 · content · timing")
            .next()
            .is_some(),
        "the evaluation harness row (infrastructure at half weight) is listed"
    );
}

/// Fits the network, then Shift-drags a box around its smallest cluster
/// (drawn closed): that cluster and where it is on screen.
fn box_smallest_cluster(
    h: &mut Harness<'_, App>,
    scene: &distillscope::analysis::graph::scene::Scene,
) -> (u32, egui::Pos2) {
    h.get_by_label("Fit").click();
    settle(h);
    let small = (scene.graph.clusters.len() - 1) as u32;
    let at = h.state().network.screen_of_cluster(small).expect("drawn");
    box_select(h, at - egui::vec2(12.0, 12.0), at + egui::vec2(12.0, 12.0));
    (small, at)
}

/// Shift-drags a box from `from` to `to` on the Network canvas.
fn box_select(h: &mut Harness<'_, App>, from: egui::Pos2, to: egui::Pos2) {
    h.get_by_label("box").click();
    h.step();
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::SHIFT));
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for i in 1..=6 {
        h.hover_at(from + (to - from) * (i as f32 / 6.0));
        h.step();
    }
    h.drop_at(to);
    h.step();
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    settle(h);
}

fn campaigns(h: &Harness<'_, App>) -> Vec<(String, std::collections::BTreeSet<String>)> {
    h.state()
        .session()
        .expect("open")
        .work
        .book()
        .campaigns
        .iter()
        .map(|c| (c.props.name.clone(), c.accounts.clone()))
        .collect()
}

#[test]
fn a_box_in_the_network_becomes_a_campaign_that_undo_and_redo_take_back_and_restore() {
    let (_dir, case) = own_sample_case();
    let mut h = opened(case.clone());
    show(&mut h, View::Network);
    settle(&mut h);
    let scene = h.state().network.scene().expect("the graph").clone();
    box_smallest_cluster(&mut h, &scene);
    let selected = h.state().selection().accounts.clone();
    assert!(!selected.is_empty(), "the box selected accounts");
    // The selection bar's button opens the dialog; the campaign gets a name.
    h.get_by_label("+ Campaign…").click();
    settle(&mut h);
    assert!(
        h.get_all_by_label(&format!("{} accounts", selected.len()))
            .next()
            .is_some(),
        "the dialog counts the selection"
    );
    h.get_all_by_value("Campaign 1")
        .next()
        .expect("the name field")
        .focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_all_by_value("Campaign 1")
        .next()
        .expect("the name field")
        .type_text("Lasso ring");
    h.step();
    h.get_by_label("Create").click();
    settle(&mut h);
    assert_eq!(
        campaigns(&h),
        vec![("Lasso ring".to_owned(), selected.clone())]
    );
    // The selection chip reads as the campaign, and the Campaigns view lists it.
    h.get_by_label_contains("campaign Lasso ring");
    show(&mut h, View::Campaigns);
    h.get_by_label_contains("Lasso ring  ·  suspected");
    // Ctrl+Z takes it back, Ctrl+Shift+Z restores it.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    assert!(campaigns(&h).is_empty());
    h.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::Z,
    );
    settle(&mut h);
    assert_eq!(campaigns(&h).len(), 1);
    // Closed and opened again, the case holds it.
    drop(h);
    let h = opened(case);
    assert_eq!(campaigns(&h), vec![("Lasso ring".to_owned(), selected)]);
}

#[test]
fn a_timeline_range_becomes_a_campaign_and_its_accounts_are_tagged() {
    let (_dir, case) = own_sample_case();
    let mut h = opened(case);
    show(&mut h, View::Timeline);
    brush(&mut h, 400.0, 520.0);
    let range = h.state().selection().days.expect("a brushed range");
    // The dialog finds the accounts active in the range, then makes the campaign.
    h.get_by_label("+ Campaign…").click();
    settle(&mut h);
    h.get_by_label("Create").click();
    settle(&mut h);
    let made = campaigns(&h);
    assert_eq!(made.len(), 1);
    let active: Vec<String> = h
        .state()
        .session()
        .and_then(|s| s.selection_accounts.value().map(|v| v.to_vec()))
        .expect("the range's accounts");
    assert_eq!(made[0].1, active.iter().cloned().collect());
    assert!(
        !active.is_empty() && active.len() < 5218,
        "{} accounts",
        active.len()
    );
    // The Campaign menu (first of the labels: the menu bar) tags the same selection.
    h.get_all_by_label("Campaign")
        .next()
        .expect("the menu")
        .click();
    settle(&mut h);

    h.get_by_label_contains("Tag the selection…").click();
    settle(&mut h);
    let is_tag =
        |n: &egui_kittest::kittest::AccessKitNode<'_>| n.placeholder() == Some("e.g. reseller");
    h.get_by(is_tag).focus();
    h.step();
    h.get_by(is_tag).type_text("surge");
    h.step();
    h.get_by_role_and_label(Role::Button, "Tag").click();
    settle(&mut h);
    let book = h.state().session().unwrap().work.book().clone();
    assert_eq!(book.tag_counts().get("surge"), Some(&active.len()));
    // The timeline stacks by campaign, the campaign in its colour.
    show(&mut h, View::Timeline);
    h.get_all_by_label("Campaign")
        .last()
        .expect("the stack choice")
        .click();
    settle(&mut h);
    let t = h
        .state()
        .session()
        .unwrap()
        .timeline
        .value()
        .unwrap()
        .clone();
    assert!(t.groups.contains(&made[0].0), "{:?}", t.groups);
    assert!(t.colours.contains_key(&made[0].0));
    let _ = range;
}

#[test]
fn the_export_dialog_writes_a_pack_that_verifies() {
    let (dir, case) = own_sample_case();
    let mut h = opened(case);
    let accounts: std::collections::BTreeSet<String> = h
        .state()
        .session()
        .and_then(|s| {
            s.summary.value().map(|s| {
                s.top_accounts
                    .iter()
                    .take(3)
                    .map(|a| a.account_id.clone())
                    .collect()
            })
        })
        .expect("summary");
    let edit = distillscope::case::Edit::Create {
        props: distillscope::case::CampaignProps {
            name: "Top three".into(),
            colour: String::new(),
            status: distillscope::case::Status::Confirmed,
            confidence: 80,
            notes: String::new(),
        },
        accounts,
        origin: "a test".into(),
    };
    h.state_mut()
        .session_mut()
        .unwrap()
        .work
        .apply(&edit, "tester")
        .unwrap();
    show(&mut h, View::Campaigns);
    h.get_by_label("Export evidence pack…").click();
    settle(&mut h);
    h.get_by_label("Every exchange");
    h.get_by_label("Also write a .zip of the folder");
    let out = dir.path().join("top-three");
    h.state_mut()
        .campaigns
        .export
        .as_mut()
        .expect("the dialog")
        .folder = out.display().to_string();
    h.step();
    h.get_all_by_label("Export")
        .last()
        .expect("the dialog's button")
        .click();
    settle(&mut h);
    h.get_by_label_contains("Pack fingerprint (SHA-256 of manifest.json)");
    let v = distillscope::export::manifest::verify(&out).expect("a pack");
    assert!(v.is_intact(), "{}", v.report());
    assert_eq!(v.intact.len(), 13);
    // The Overview's chain of custody shows the edit and the export at
    // once, without reopening the case.
    let actions: Vec<String> = h
        .state()
        .session()
        .unwrap()
        .custody
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert!(actions.iter().any(|a| a == "edited"), "{actions:?}");
    assert!(
        actions.iter().any(|a| a == "exported evidence pack"),
        "{actions:?}"
    );
    show(&mut h, View::Overview);
    h.get_by_label_contains("Chain of custody (").click();
    h.run_steps(2);
    h.get_by_label("exported evidence pack");
}

#[test]
fn the_suspects_view_says_what_the_evidence_showed_and_takes_a_network_mark() {
    let (_dir, case) = own_sample_case();
    let mut h = opened(case);
    show(&mut h, View::Suspects);
    settle(&mut h);
    h.get_by_label("What the evidence let detection see")
        .click();
    settle(&mut h);
    h.get_by_label_contains("every kind of evidence can fire");
    h.get_by_label_contains("networks read as hosting, cloud or VPS:");
    // The analyst overrules how the busiest network is read.
    let busiest = shown_network(&h, |n| n.asn.is_some()).expect("a network");
    let asn = busiest.asn.unwrap();
    let (choice, want) = if busiest.hosting {
        ("marked not hosting", false)
    } else {
        ("marked hosting", true)
    };
    h.get_all_by_label("as named")
        .next()
        .expect("its row")
        .click();
    h.run();
    h.get_by_label(choice).click();
    settle(&mut h);
    let book_mark = h
        .state()
        .session()
        .and_then(|s| s.work.book().networks.get(&asn).copied());
    assert_eq!(book_mark, Some(want));
    // The scan reran with the mark.
    let read = shown_network(&h, |n| n.asn == Some(asn)).expect("the network is listed");
    assert_eq!(read.hosting, want, "{read:?}");
    if want {
        assert_eq!(read.reason, "analyst: hosting");
    }
}

/// The first network of the scan on screen that `pick` accepts.
fn shown_network(
    h: &Harness<'_, App>,
    pick: impl Fn(&distillscope::analysis::detect::features::NetworkKind) -> bool,
) -> Option<distillscope::analysis::detect::features::NetworkKind> {
    h.state().session().and_then(|s| {
        s.scan
            .value()
            .and_then(|scan| scan.features.networks.iter().find(|n| pick(n)).cloned())
    })
}

#[test]
fn rebuilding_from_the_file_menu_keeps_the_campaigns() {
    use distillscope::case::{CampaignProps, Casebook, Edit, Status};
    use distillscope::store::case::Case;
    let (_dir, case) = own_sample_case();
    {
        let c = Case::open_for_work(&case).expect("open for work");
        let mut book = Casebook::load(&c.conn, &c.path).expect("load");
        let account = {
            let id: String = c
                .conn
                .query_row("SELECT min(account_id) FROM account_summary", [], |r| {
                    r.get(0)
                })
                .expect("an account");
            id
        };
        let save = book
            .apply(
                &Edit::Create {
                    props: CampaignProps {
                        name: "Kept".into(),
                        colour: String::new(),
                        status: Status::Suspected,
                        confidence: 50,
                        notes: "made before the rebuild".into(),
                    },
                    accounts: [account].into(),
                    origin: "a test".into(),
                },
                "ana",
            )
            .expect("create");
        save.write(&c.conn, &c.path).expect("saved");
    }
    let mut h = opened(case);
    let before = h.state().session().unwrap().work.book().clone();
    // The menu bar's "File" (the Overview's evidence rows are labels "File").
    h.get_by_role_and_label(Role::Button, "File").click();
    settle(&mut h);
    h.get_all_by_label_contains("Rebuild the case (campaigns and notes kept)")
        .next()
        .expect("the menu entry")
        .click();
    settle(&mut h);
    let session = h.state().session().expect("the rebuilt case is open");
    assert_eq!(session.work.book(), &before, "every campaign kept");
    assert!(
        h.state()
            .notifications
            .texts()
            .iter()
            .any(|t| t.contains("case rebuilt") && t.contains("carried 1 campaigns")),
        "{:?}",
        h.state().notifications.texts()
    );
}

/// The exchanges of the opened case's summary.
fn summary_exchanges(h: &mut Harness<'_, App>) -> i64 {
    h.state()
        .session()
        .and_then(|s| s.summary.value().map(|s| s.exchanges))
        .expect("summary")
}

/// A file dropped on the window, as the native integration hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropping_gateway_logs_on_the_window_opens_each_with_its_format() {
    let files = [
        ("litellm_spend_logs.jsonl", 4, "LiteLLM spend log"),
        ("otel_spans.json", 2, "OpenTelemetry GenAI spans"),
        ("bedrock_invocations.jsonl", 3, "AWS Bedrock invocation log"),
    ];
    let dir = common::scratch(&files.map(|f| f.0));
    for (file, exchanges, format) in files {
        let mut h = app_on(None);
        h.run_steps(2);
        h.input_mut()
            .dropped_files
            .push(std::sync::Arc::new(Dropped(dir.path().join(file))));
        settle(&mut h);
        assert!(
            h.state().session().is_some(),
            "{file}: {:?}",
            h.state().notifications.texts()
        );
        assert_eq!(summary_exchanges(&mut h), exchanges, "{file}");
        h.get_by_label_contains(format);
        // How each field was read, one click away.
        h.get_by_label_contains("How the fields were read").click();
        h.run_steps(2);
        h.get_by_label_contains("from last user turn");
    }
}

#[test]
fn the_mapping_dialog_opens_a_table_with_other_column_names_and_the_case_remembers_it() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("warehouse.csv");
    std::fs::write(
        &table,
        "moment,customer,prompt_text\n2026-05-03T02:14:07Z,c1,hello there\n2026-05-03T02:15:07Z,c2,hi\n2026-05-04T02:15:07Z,c1,again\n",
    )
    .unwrap();
    let mut h = app_on(Some(table.clone()));
    settle(&mut h);
    assert!(h.state().session().is_none());
    assert!(
        h.state().mapping.is_some(),
        "{:?}",
        h.state().notifications.texts()
    );
    h.get_by_label_contains("Map the columns of warehouse.csv");
    // account_id and prompt are guessed; ts ("moment") is not.
    h.get_by_label_contains("Still to pick: ts");
    h.get_by_label("hello there");
    // The combo boxes follow the contract's order: exchange_id, then ts.
    h.get_all_by_role(Role::ComboBox)
        .nth(1)
        .expect("the ts picker")
        .click();
    h.run_steps(2);
    h.get_by_label("moment").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Still to pick").is_none());
    h.get_by_label_contains("--map ts=moment,account_id=customer,prompt=prompt_text");
    h.get_by_label("Open with this mapping").click();
    settle(&mut h);
    let session = h.state().session().expect("opened with the mapping");
    assert_eq!(session.meta.mapping.source_in("exchanges", "ts"), "moment");
    assert_eq!(summary_exchanges(&mut h), 3);
    drop(h);
    // Opened again, the case's mapping is used: no dialog.
    let mut h = app_on(Some(table));
    settle(&mut h);
    assert!(h.state().mapping.is_none());
    assert_eq!(summary_exchanges(&mut h), 3);
}

#[test]
fn a_stale_scan_kept_in_the_case_says_what_changed_and_rescans_on_one_click() {
    // The sample's case holds its scan; a network marked since makes it stale.
    let (_dir, case) = own_sample_case();
    let c = case.to_str().unwrap();
    let run = common::cli(&[
        "campaign",
        c,
        "-q",
        "--analyst",
        "ana",
        "network",
        "--asn",
        "9009",
        "--kind",
        "not_hosting",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let mut h = opened(case.clone());
    show(&mut h, View::Suspects);
    settle(&mut h);
    // Shown at once, with what changed and the way out.
    h.get_by_label_contains("Stale: this scan was made");
    h.get_by_label_contains("the analyst's network marks changed");
    h.get_by_label_contains("accounts flagged, in 4 campaigns");
    h.get_by_label("Re-scan").click();
    settle(&mut h);
    assert!(
        h.query_by_label_contains("Stale: this scan was made")
            .is_none(),
        "the new scan is current"
    );
    let kept = h
        .state()
        .session()
        .and_then(|s| s.scan.value().map(|scan| scan.kept.is_some()))
        .expect("a scan is shown");
    assert!(!kept, "the new scan was made from the log");
}
