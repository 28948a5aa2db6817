//! A real clamd for the scanning tests: Debian's `clamav-daemon` (`scripts/test`
//! installs it), on a free loopback port, with a signature database the harness
//! writes itself — one MD5 signature for the EICAR test file — so nothing is
//! downloaded (no freshclam) and clamd loads in well under a second. It can be
//! stopped and started again on the same port (scan jobs then retry).

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How to install clamd.
pub const INSTALL: &str = "apt-get install -y clamav-daemon";

/// The signature the harness writes for the EICAR file.
const EICAR_NAME: &str = "Eicar-Test-Signature";
/// The name clamd reports for it (a database not signed by ClamAV gets `.UNOFFICIAL`).
pub const EICAR_SIGNATURE: &str = "Eicar-Test-Signature.UNOFFICIAL";

/// The 68-byte EICAR anti-virus test file, built from two halves so that this
/// source file is not itself flagged by a scanner on a developer's machine.
pub fn eicar() -> Vec<u8> {
    let mut bytes = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-".to_vec();
    bytes.extend_from_slice(b"ANTIVIRUS-TEST-FILE!$H+H*");
    assert_eq!(bytes.len(), 68);
    bytes
}

/// MD5 of [`eicar`] (the well-known one; clamd matching it proves it).
const EICAR_MD5: &str = "44d88612fea8a8f36de82e1278abb02f";

/// clamd: `/usr/sbin/clamd` (not on PATH for non-root users) or on PATH.
fn clamd_binary() -> String {
    for candidate in ["/usr/sbin/clamd", "clamd"] {
        let found = Command::new(candidate)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return candidate.to_owned();
        }
    }
    panic!("the scanning tests need clamd: {INSTALL}")
}

/// A clamd process and its directory.
pub struct Clamd {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

impl Clamd {
    /// Writes the configuration and the signature database under a fresh directory
    /// named `name` and picks a free port; clamd is not started (see [`Clamd::resume`]).
    pub fn prepare(name: &str) -> Clamd {
        // Fails here, with the install command, when clamd is missing.
        clamd_binary();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("test-clamd")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("db")).expect("create clamd's directory");
        std::fs::create_dir_all(dir.join("tmp")).expect("create clamd's temporary directory");
        std::fs::write(
            dir.join("db/eicar.hdb"),
            format!("{EICAR_MD5}:68:{EICAR_NAME}\n"),
        )
        .expect("write the signature database");
        let port = ferry_dev::services::free_port();
        // StreamMaxLength above Ferry's SCAN_MAX_SIZE default (25 MiB), so clamd never
        // refuses a stream Ferry sends.
        let config = format!(
            "Foreground yes\n\
             TCPSocket {port}\n\
             TCPAddr 127.0.0.1\n\
             DatabaseDirectory {db}\n\
             TemporaryDirectory {tmp}\n\
             LogFile {log}\n\
             LogTime yes\n\
             StreamMaxLength 64M\n\
             MaxThreads 4\n",
            db = dir.join("db").display(),
            tmp = dir.join("tmp").display(),
            log = dir.join("clamd.log").display(),
        );
        std::fs::write(dir.join("clamd.conf"), config).expect("write clamd.conf");
        Clamd {
            port,
            dir,
            child: None,
        }
    }

    /// Prepares ([`Clamd::prepare`]) and starts clamd, ready for scans.
    pub fn start(name: &str) -> Clamd {
        let mut clamd = Clamd::prepare(name);
        clamd.resume();
        clamd
    }

    /// `CLAMAV_URL` for this clamd.
    pub fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// Stops clamd (SIGKILL): connections are refused until [`Clamd::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts clamd on its port and waits until it answers `PING`.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "clamd is running already");
        let child = Command::new(clamd_binary())
            .arg("--foreground")
            .arg(format!(
                "--config-file={}",
                self.dir.join("clamd.conf").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start clamd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.answers_ping() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("clamd exited with {status}: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "clamd did not answer PING within 60 s: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// clamd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("clamd.log")).unwrap_or_default()
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        if stream.write_all(b"zPING\0").is_err() {
            return false;
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.trim_end_matches('\0') == "PONG"
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.stop();
    }
}
