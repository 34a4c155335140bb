//! `plan`: how a batch fits QuickSight's limits, before it runs (see
//! `export_core::planning`).
//!
//!   cargo run -p plan -- --recipients 100 --job-minutes 12 [--slot-cap 12] [--deadline 08:00]
//!   cargo run -p plan -- --recipients 100 --durations-table TABLE --account-id ID --dashboard-id ID
//!
//! With `--durations-table` the job duration is read from the stack's
//! coordination table (the durations the start step records, kept a day),
//! with the standard AWS settings (AWS_REGION, credentials,
//! AWS_ENDPOINT_URL_DYNAMODB).

use clap::{ArgGroup, Parser};
use export_core::coordination::{DynamoCoordination, dashboard_key};
use export_core::planning::{PlanInput, plan, recorded_job_seconds};

#[derive(Parser)]
#[command(about = "Waves, makespan, latest start, QuickSight calls and AWS cost of one batch")]
#[command(group(ArgGroup::new("duration").required(true).args(["job_minutes", "durations_table"])))]
struct Args {
    /// Recipients (snapshot jobs) in the batch.
    #[arg(long)]
    recipients: u64,
    /// Measured job duration, in minutes (the dashboard's `Makespan` metric over its waves).
    #[arg(long)]
    job_minutes: Option<f64>,
    /// Take the job duration from this coordination table (the stack's
    /// CoordinationTable output): the 90th percentile of the dashboard's
    /// last 20 jobs.
    #[arg(long, requires_all = ["account_id", "dashboard_id"])]
    durations_table: Option<String>,
    /// The dashboard's account, with --durations-table.
    #[arg(long)]
    account_id: Option<String>,
    /// The dashboard, with --durations-table.
    #[arg(long)]
    dashboard_id: Option<String>,
    /// Snapshot jobs at once (the stack's SlotCap; QuickSight allows 12).
    #[arg(long, default_value_t = 12)]
    slot_cap: u32,
    /// The stack's QuickSightCallsPerSecond.
    #[arg(long, default_value_t = 8)]
    calls_per_second: u32,
    /// The stack's FirstPollSeconds; by default the job duration (a well-set stack).
    #[arg(long)]
    first_poll_seconds: Option<u32>,
    /// The stack's PollIntervalSeconds.
    #[arg(long, default_value_t = 30)]
    poll_interval_seconds: u32,
    /// When the batch must be done, HH:MM (the latest start is printed).
    #[arg(long)]
    deadline: Option<String>,
}

fn clock(minutes: f64) -> String {
    let m = minutes.rem_euclid(24.0 * 60.0).round() as u64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("{message}");
    std::process::exit(64);
}

/// The job duration in seconds: given, or read from the duration log.
async fn job_seconds(args: &Args) -> f64 {
    if let Some(minutes) = args.job_minutes {
        if !(minutes.is_finite() && minutes > 0.0) {
            fail(format_args!(
                "--job-minutes must be a positive number, got {minutes}"
            ));
        }
        return minutes * 60.0;
    }
    let (Some(table), Some(account), Some(dashboard)) =
        (&args.durations_table, &args.account_id, &args.dashboard_id)
    else {
        fail("give --job-minutes, or --durations-table with --account-id and --dashboard-id");
    };
    let shared = export_core::aws::load_aws_config().await;
    let Some(region) = shared.region().map(|r| r.to_string()) else {
        fail("--durations-table needs a region (AWS_REGION)");
    };
    let log = DynamoCoordination::new(&shared, table);
    match recorded_job_seconds(&log, &dashboard_key(account, &region, dashboard)).await {
        Ok(Some(recorded)) => {
            println!(
                "job duration: {:.1} s, the 90th percentile of the last {} job(s) of {dashboard} in {table}",
                recorded.seconds, recorded.jobs
            );
            recorded.seconds
        }
        Ok(None) => fail(format_args!(
            "{table} holds no recent job of {dashboard} in {account}/{region} (records are kept a day): give --job-minutes"
        )),
        Err(e) => fail(format_args!(
            "could not read the durations from {table}: {e}"
        )),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let job_seconds = job_seconds(&args).await;
    let job_minutes = job_seconds / 60.0;
    let input = PlanInput {
        jobs: args.recipients,
        job_seconds,
        slot_cap: args.slot_cap,
        calls_per_second: args.calls_per_second,
        first_poll_seconds: args.first_poll_seconds.unwrap_or(job_seconds.ceil() as u32),
        poll_interval_seconds: args.poll_interval_seconds,
    };
    let p = plan(&input);
    println!(
        "{} recipients, {} at a time, {} min each: {} waves, makespan {:.1} min",
        args.recipients,
        args.slot_cap,
        (job_minutes * 10.0).round() / 10.0,
        p.waves,
        p.makespan_seconds / 60.0
    );
    println!(
        "QuickSight calls: {} ({} per job: start, {} status check(s), result); at {}/s they alone take {:.1} min",
        p.calls,
        p.calls / args.recipients.max(1),
        p.polls_per_job,
        args.calls_per_second,
        p.call_bound_seconds / 60.0
    );
    if let Some(deadline) = &args.deadline {
        match deadline
            .split_once(':')
            .and_then(|(h, m)| Some((h.parse::<f64>().ok()?, m.parse::<f64>().ok()?)))
        {
            Some((h, m)) => println!(
                "done by {deadline}: start by {} at the latest",
                clock(h * 60.0 + m - p.makespan_seconds / 60.0)
            ),
            None => {
                fail(format_args!("--deadline must be HH:MM, got {deadline:?}"));
            }
        }
    }
    println!(
        "AWS cost: about ${:.4} for the batch, ${:.4} per 1,000 recipients ({:.0} state transitions; Lambda, DynamoDB at us-east-1 arm64 prices)",
        p.cost_usd,
        p.cost_usd * 1000.0 / args.recipients.max(1) as f64,
        p.transitions
    );
}
