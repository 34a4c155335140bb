//! Where one run's objects live in the export bucket. Everything a run
//! writes is under `runs/`, so that the bucket's lifecycle rule can expire
//! what runs write and nothing else: the requests people store under
//! `requests/` (the schedules' among them) are kept. A run's keys are under
//! `runs/<destination.prefix>/<run_id>/`, and every key is made here:
//!
//! ```text
//! <run>/run.json                       the run record: execution, request, dashboard
//! <run>/recipients.json                the Distributed Map's items: index and ID
//! <run>/files/<recipient_id>/...       the snapshots QuickSight writes
//! <run>/outcomes/<recipient_id>.json   one outcome per recipient, as soon as known
//! <run>/manifest.json                  assembled from the outcomes
//! <run>/cancellation.json              a cancel through the API: asked, then finished
//! runs/map-results/...                 the Distributed Map's ResultWriter output (every run's)
//! ```
//!
//! Recipient files and outcomes sit in folders of their own, so no recipient
//! ID can collide with the run's own objects.

/// The root of everything runs write (the template's lifecycle rule expires it).
pub const RUNS_ROOT: &str = "runs";

/// Where the Distributed Map's ResultWriter writes, for every run: a literal
/// in the definition (`ResultWriter`'s `Prefix`), under [`RUNS_ROOT`].
pub const MAP_RESULTS_PREFIX: &str = "runs/map-results";

/// `runs/<prefix>/<run_id>`, without a trailing slash.
pub fn run_prefix(destination_prefix: &str, run_id: &str) -> String {
    let base = destination_prefix.trim_matches('/');
    if base.is_empty() {
        format!("{RUNS_ROOT}/{run_id}")
    } else {
        format!("{RUNS_ROOT}/{base}/{run_id}")
    }
}

pub fn run_record_key(run_prefix: &str) -> String {
    format!("{run_prefix}/run.json")
}

pub fn items_key(run_prefix: &str) -> String {
    format!("{run_prefix}/recipients.json")
}

/// `<run>/bundles.json`: an asset bundle backup's bundles, in item order.
pub fn bundles_key(run_prefix: &str) -> String {
    format!("{run_prefix}/bundles.json")
}

/// The `BucketPrefix` QuickSight writes one recipient's files under (and
/// where a backup's bundle is stored).
pub fn files_prefix(run_prefix: &str, recipient_id: &str) -> String {
    format!("{run_prefix}/files/{recipient_id}")
}

pub fn outcomes_prefix(run_prefix: &str) -> String {
    format!("{run_prefix}/outcomes/")
}

pub fn outcome_key(run_prefix: &str, recipient_id: &str) -> String {
    format!("{}{recipient_id}.json", outcomes_prefix(run_prefix))
}

pub fn manifest_key(run_prefix: &str) -> String {
    format!("{run_prefix}/manifest.json")
}

pub fn cancellation_key(run_prefix: &str) -> String {
    format!("{run_prefix}/cancellation.json")
}

/// The recipient ID of an outcome key, if it is one.
pub fn recipient_of_outcome_key<'a>(run_prefix: &str, key: &'a str) -> Option<&'a str> {
    key.strip_prefix(&outcomes_prefix(run_prefix))?
        .strip_suffix(".json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_the_run_and_recipients_have_folders_of_their_own() {
        let run = run_prefix("exports/", "run-1");
        assert_eq!(run, "runs/exports/run-1");
        assert_eq!(run_prefix("/", "run-1"), "runs/run-1");
        assert_eq!(files_prefix(&run, "acme"), "runs/exports/run-1/files/acme");
        assert_eq!(
            outcome_key(&run, "outcomes"),
            "runs/exports/run-1/outcomes/outcomes.json"
        );
        assert_eq!(
            recipient_of_outcome_key(&run, "runs/exports/run-1/outcomes/acme.json"),
            Some("acme")
        );
        assert_eq!(
            recipient_of_outcome_key(&run, "runs/exports/run-1/run.json"),
            None
        );
        for key in [run_record_key(&run), items_key(&run), manifest_key(&run)] {
            assert!(key.starts_with("runs/exports/run-1/"), "{key}");
        }
        assert!(MAP_RESULTS_PREFIX.starts_with(&format!("{RUNS_ROOT}/")));
    }
}
