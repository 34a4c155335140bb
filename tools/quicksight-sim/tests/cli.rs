//! The binary as scripts use it: start on a free port, print one line, serve.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn prints_its_address_once_it_accepts_connections() {
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_quicksight-sim"))
            .args(["--addr", "127.0.0.1:0", "--job-duration-ms", "100"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the simulator starts"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);

    // A raw call, as any HTTP client would make it: QuickSight's error shape.
    let mut stream = TcpStream::connect(url).unwrap();
    write!(
        stream,
        "GET /accounts/123456789012/dashboards/d/snapshot-jobs/nope HTTP/1.1\r\nHost: {url}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let lower = response.to_lowercase();
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert!(
        lower.contains("x-amzn-errortype: resourcenotfoundexception"),
        "{response}"
    );
    assert!(lower.contains("x-amzn-requestid: "), "{response}");
    assert!(response.contains("\"Message\""), "{response}");
}

#[test]
fn rejects_a_malformed_failure_rule() {
    let output = Command::new(env!("CARGO_BIN_EXE_quicksight-sim"))
        .args(["--fail-job", "no-type-given"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("PATTERN=TYPE"));
}
