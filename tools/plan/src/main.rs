//! `plan`: how a batch fits QuickSight's limits, before it runs (see
//! `export_core::planning`).
//!
//!   cargo run -p plan -- --recipients 100 --job-minutes 12 [--slot-cap 12] [--deadline 08:00]

use clap::Parser;
use export_core::planning::{PlanInput, plan};

#[derive(Parser)]
#[command(about = "Waves, makespan, latest start, QuickSight calls and AWS cost of one batch")]
struct Args {
    /// Recipients (snapshot jobs) in the batch.
    #[arg(long)]
    recipients: u64,
    /// Measured job duration, in minutes (see the DurationLog or the dashboard's `Makespan` metric).
    #[arg(long)]
    job_minutes: f64,
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

fn main() {
    let args = Args::parse();
    let job_seconds = args.job_minutes * 60.0;
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
        args.job_minutes,
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
                eprintln!("--deadline must be HH:MM, got {deadline:?}");
                std::process::exit(64);
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
