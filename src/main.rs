//! `egov-desk`: the binary. All the work is in the library.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match egov_desk::cli::main().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("egov-desk: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
