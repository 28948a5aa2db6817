//! A throwaway Redis Cluster of three masters (no replicas) on loopback, for the
//! suites' cluster mode (`FERRY_TEST_REDIS=cluster`, see `mod.rs`): three
//! `redis-server --cluster-enabled yes` in temp dirs, joined by
//! `redis-cli --cluster create`, ready once every node reports `cluster_state:ok`.
//! [`Cluster::start_tls`] starts one that speaks only TLS, between its nodes too.

use std::{
    fs,
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Masters in the test cluster: the smallest a `redis-cli --cluster create` accepts.
const MASTERS: usize = 3;

/// A running cluster; its servers are killed when dropped.
pub struct Cluster {
    /// `redis://127.0.0.1:P` (`rediss://` over TLS) of every master.
    pub urls: Vec<String>,
    servers: Vec<Child>,
}

impl Cluster {
    /// Starts the three masters in `dir` and forms the cluster. Panics with the
    /// reason when the installed Redis cannot do it.
    pub fn start(dir: &Path) -> Cluster {
        Self::start_with(dir, None)
    }

    /// Like [`Cluster::start`], TLS only: clients and the nodes' own bus, with the
    /// certificates of [`crate::harness::tls::make_certificates`] in `certs`.
    pub fn start_tls(dir: &Path, certs: &Path) -> Cluster {
        Self::start_with(dir, Some(certs))
    }

    fn start_with(dir: &Path, tls: Option<&Path>) -> Cluster {
        let ports: Vec<u16> = (0..MASTERS)
            .map(|_| ferry_dev::services::free_port())
            .collect();
        let scheme = if tls.is_some() { "rediss" } else { "redis" };
        let mut cluster = Cluster {
            urls: ports
                .iter()
                .map(|p| format!("{scheme}://127.0.0.1:{p}"))
                .collect(),
            servers: Vec::new(),
        };
        let cli = |port: u16, args: &[&str]| cli(tls, port, args);
        for port in &ports {
            let node_dir = dir.join(format!("node-{port}"));
            fs::create_dir_all(&node_dir).expect("create a cluster node's dir");
            let log = fs::File::create(node_dir.join("redis.log")).expect("create a node log");
            let mut command = Command::new("redis-server");
            match tls {
                None => command.args(["--port", &port.to_string()]),
                Some(certs) => command
                    .args(["--port", "0", "--tls-port", &port.to_string()])
                    .args(["--tls-cluster", "yes", "--tls-auth-clients", "no"])
                    .arg("--tls-cert-file")
                    .arg(certs.join("server.pem"))
                    .arg("--tls-key-file")
                    .arg(certs.join("server.key"))
                    .arg("--tls-ca-cert-file")
                    .arg(certs.join("ca.pem")),
            };
            let child = command
                .args(["--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes"])
                .args(["--cluster-config-file", "nodes.conf"])
                .args(["--cluster-node-timeout", "5000"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&node_dir)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("start redis-server (apt-get install redis-server)");
            cluster.servers.push(child);
        }
        for port in &ports {
            wait_until(&format!("node {port} to answer PING"), || {
                cli(*port, &["PING"]).is_some_and(|out| out.trim() == "PONG")
            });
        }
        let nodes: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        // Bounded: it waits forever for nodes that cannot reach each other's bus.
        let out = Command::new("timeout")
            .args(["60", "redis-cli"])
            .args(tls_args(tls))
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("run redis-cli --cluster create");
        super::succeeded("redis-cli --cluster create", &out);
        for port in &ports {
            wait_until(&format!("node {port} to report cluster_state:ok"), || {
                cli(*port, &["CLUSTER", "INFO"]).is_some_and(|out| out.contains("cluster_state:ok"))
            });
        }
        cluster
    }

    /// Process ids of the servers (for the harness's exit watchdog).
    pub fn pids(&self) -> Vec<u32> {
        self.servers.iter().map(Child::id).collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

/// `redis-cli`'s TLS options for the certificates in `tls`, if any.
fn tls_args(tls: Option<&Path>) -> Vec<String> {
    match tls {
        None => Vec::new(),
        Some(certs) => vec![
            "--tls".into(),
            "--cacert".into(),
            certs.join("ca.pem").display().to_string(),
        ],
    }
}

/// `redis-cli -p port args…`'s output, if it ran.
fn cli(tls: Option<&Path>, port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .args(tls_args(tls))
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "Redis Cluster start-up: timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
