//! The `plan` command as a user runs it: its figures and its refusals.

use std::process::{Command, Output};

fn plan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plan"))
        .args(args)
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .output()
        .expect("plan runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn quicksights_example_prints_nine_waves_108_minutes_and_the_latest_start() {
    let out = plan(&[
        "--recipients",
        "100",
        "--job-minutes",
        "12",
        "--deadline",
        "08:00",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("100 recipients, 12 at a time, 12 min each: 9 waves, makespan 108.0 min"),
        "{stdout}"
    );
    assert!(
        stdout.contains("done by 08:00: start by 06:12 at the latest"),
        "{stdout}"
    );
    assert!(
        stdout.contains("QuickSight calls: 300 (3 per job"),
        "{stdout}"
    );
}

#[test]
fn a_duration_is_required_and_a_table_needs_its_dashboard() {
    let none = plan(&["--recipients", "10"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none.stderr).contains("--job-minutes"),
        "{}",
        text(&none.stderr)
    );

    let table_alone = plan(&["--recipients", "10", "--durations-table", "coordination"]);
    assert_eq!(table_alone.status.code(), Some(2));
    let stderr = text(&table_alone.stderr);
    assert!(
        stderr.contains("--account-id") && stderr.contains("--dashboard-id"),
        "{stderr}"
    );

    let negative = plan(&["--recipients", "10", "--job-minutes=-3"]);
    assert_eq!(negative.status.code(), Some(64));
    assert!(text(&negative.stderr).contains("--job-minutes must be a positive number"));
}
