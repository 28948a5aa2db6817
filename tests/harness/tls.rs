//! A TLS-only Redis for the `rediss://` tests: a private CA and a server certificate
//! for `localhost`/`127.0.0.1` made with the `openssl` command, and `redis-server`
//! listening on a TLS port only (no plain-text port), so nothing reaches it without
//! TLS.

use std::{
    fs,
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A running TLS-only Redis; stopped when dropped.
pub struct TlsRedis {
    /// `rediss://localhost:<port>`: verified against [`TlsRedis::ca_cert`].
    pub url: String,
    /// The PEM file of the CA that signed the server's certificate.
    pub ca_cert: PathBuf,
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

fn run(what: &str, command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (apt-get install -y openssl redis-server)"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `ca.pem`, `server.pem` and `server.key` into `dir`: a private CA, and a
/// certificate it signed for `localhost` and `127.0.0.1`.
pub fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let mut command = Command::new("openssl");
        command.args(args).current_dir(dir).stdin(Stdio::null());
        command
    };
    run(
        "openssl: the CA",
        &mut openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Ferry test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]),
    );
    run(
        "openssl: the server's key and request",
        &mut openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]),
    );
    // rustls checks the subjectAltName, never the CN. A cluster node also presents
    // this certificate to the other nodes as a client (clientAuth).
    fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n",
    )
    .unwrap();
    run(
        "openssl: the server's certificate",
        &mut openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "server.ext",
        ]),
    );
}

impl TlsRedis {
    /// Makes the certificates and starts the server on a free port.
    pub fn start() -> TlsRedis {
        let dir = std::env::temp_dir().join(format!("ferry-test-tls-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        make_certificates(&dir);
        let port = ferry_dev::services::free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
            .arg("--tls-cert-file")
            .arg(dir.join("server.pem"))
            .arg("--tls-key-file")
            .arg(dir.join("server.key"))
            .arg("--tls-ca-cert-file")
            .arg(dir.join("ca.pem"))
            .arg("--dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(fs::File::create(dir.join("redis.log")).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install -y redis-server)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not open its TLS port: {}",
                fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsRedis {
            url: format!("rediss://localhost:{port}"),
            ca_cert: dir.join("ca.pem"),
            port,
            child,
            dir,
        }
    }

    /// Runs `redis-cli` over TLS (verified with the CA) with `args`; returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["--tls", "-h", "localhost", "-p", &self.port.to_string()])
            .arg("--cacert")
            .arg(&self.ca_cert)
            .args(args)
            .output()
            .expect("redis-cli (apt-get install -y redis-tools)");
        assert!(out.status.success(), "redis-cli {args:?} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
