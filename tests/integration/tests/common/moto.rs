//! moto's server, started for one test on a free port and stopped when
//! dropped. Always the project's pinned moto (the version
//! tools/python/requirements.txt names, in `.tools/venv`, which
//! `scripts/setup` installs), found from the workspace root whatever the
//! shell's PATH says: another moto answers differently (a plain `cargo test`
//! once ran against the machine's own moto and failed).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `.tools/venv/bin/moto_server`, once its moto is the pinned version; any
/// other state stops the test with what to run.
fn pinned_moto_server() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let requirements = std::fs::read_to_string(root.join("tools/python/requirements.txt"))
        .expect("tools/python/requirements.txt is readable");
    let pinned = requirements
        .lines()
        .find_map(|line| line.strip_prefix("moto=="))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .expect("tools/python/requirements.txt pins moto");
    let venv = root.join(".tools/venv/bin");
    let setup = "run `scripts/setup` (make check and make test run it first)";
    let installed = Command::new(venv.join("python"))
        .args(["-c", "import moto; print(moto.__version__)"])
        .output()
        .unwrap_or_else(|e| panic!("the project's Python venv is missing ({e}): {setup}"));
    let installed = String::from_utf8_lossy(&installed.stdout).trim().to_owned();
    assert_eq!(
        installed, pinned,
        "the venv's moto is {installed:?}, not the pinned {pinned}: {setup}"
    );
    venv.join("moto_server")
}

pub async fn start_moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(pinned_moto_server())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the pinned moto_server starts");
    // Dropped (killed and waited for) on every path from here.
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return moto;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not listen on {}", moto.endpoint);
}
