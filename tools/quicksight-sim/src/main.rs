use clap::Parser;
use quicksight_sim::SimConfig;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("QUICKSIGHT_SIM_LOG")
                .unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = SimConfig::parse();
    let running = quicksight_sim::start(config).await?;
    // Scripts wait for this exact line before they call the simulator.
    println!("listening on {}", running.endpoint());
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    Ok(())
}
