//! The scale-out rig: N web processes behind a real HAProxy (round robin, no
//! stickiness, health checks on /readyz), M workers, K clocks, all on loopback.
//! Web processes keep their port across restarts, so HAProxy's configuration never
//! changes while processes are killed and replaced.

use std::{
    fs,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use super::{Kind, Process, TestApp, eventually};

/// A running rig.
pub struct Rig {
    pub webs: Vec<Process>,
    pub web_ports: Vec<u16>,
    pub workers: Vec<Process>,
    pub clocks: Vec<Process>,
    pub lb_port: u16,
    haproxy: Child,
    dir: PathBuf,
    extra: Vec<(String, String)>,
}

impl Rig {
    /// Starts `webs` web processes, HAProxy in front of them, `workers` and `clocks`.
    pub async fn start(
        app: &mut TestApp,
        webs: usize,
        workers: usize,
        clocks: usize,
        extra: &[(&str, &str)],
    ) -> Rig {
        let extra: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Fixed ports (HAProxy's configuration names them), all distinct: a port
        // released by one `free_port` call can come straight back from the next.
        let mut ports: Vec<u16> = Vec::with_capacity(webs + 1);
        while ports.len() < webs + 1 {
            let port = ferry_dev::services::free_port();
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
        let lb_port = ports.pop().unwrap();
        let web_ports = ports;
        let mut rig = Rig {
            webs: Vec::new(),
            web_ports: web_ports.clone(),
            workers: Vec::new(),
            clocks: Vec::new(),
            lb_port,
            haproxy: Command::new("true").spawn().unwrap(),
            dir: std::env::temp_dir().join(format!("ferry-rig-{}", uuid::Uuid::new_v4().simple())),
            extra,
        };
        for port in web_ports {
            let web = rig.spawn_web(app, port).await;
            rig.webs.push(web);
        }
        for _ in 0..workers {
            let worker = app.start(Kind::Worker, &rig.env()).await;
            rig.workers.push(worker);
        }
        for _ in 0..clocks {
            let clock = app.start(Kind::Clock, &rig.env()).await;
            rig.clocks.push(clock);
        }
        let (haproxy, lb_port) = start_haproxy(&rig.dir, &rig.web_ports, &app.http).await;
        rig.haproxy = haproxy;
        rig.lb_port = lb_port;
        rig
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.extra
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    async fn spawn_web(&self, app: &mut TestApp, port: u16) -> Process {
        let port = port.to_string();
        let mut env = self.env();
        env.push(("PORT", &port));
        app.start(Kind::Web, &env).await
    }

    /// Base URL through the load balancer.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.lb_port)
    }

    /// SIGKILLs web `i` and starts a replacement on the same port.
    pub async fn kill_and_replace_web(&mut self, app: &mut TestApp, i: usize) {
        self.webs[i].kill();
        let replacement = self.spawn_web(app, self.web_ports[i]).await;
        self.webs[i] = replacement;
    }

    /// SIGTERMs web `i`, waits for it to exit, and starts a replacement on its port.
    pub async fn restart_web_gracefully(&mut self, app: &mut TestApp, i: usize) -> Option<i32> {
        self.webs[i].terminate();
        let status = self.webs[i].wait_exit(Duration::from_secs(40)).await;
        let replacement = self.spawn_web(app, self.web_ports[i]).await;
        self.webs[i] = replacement;
        status.and_then(|s| s.code())
    }

    /// SIGKILLs worker `i` and starts a replacement.
    pub async fn kill_and_replace_worker(&mut self, app: &mut TestApp, i: usize) {
        self.workers[i].kill();
        let replacement = app.start(Kind::Worker, &self.env()).await;
        self.workers[i] = replacement;
    }

    /// Starts one more worker.
    pub async fn add_worker(&mut self, app: &mut TestApp) {
        let worker = app.start(Kind::Worker, &self.env()).await;
        self.workers.push(worker);
    }
}

/// Starts HAProxy (round robin, no stickiness, health checks on /readyz, retries and
/// redispatch on connection failures) in front of `ports`; returns it and its port.
pub async fn start_haproxy(
    dir: &std::path::Path,
    ports: &[u16],
    http: &reqwest::Client,
) -> (Child, u16) {
    fs::create_dir_all(dir).unwrap();
    let lb_port = ferry_dev::services::free_port();
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, port)| format!("  server web{i} 127.0.0.1:{port} check\n"))
        .collect();
    let config = format!(
        "global\n  maxconn 2000\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 120s\n  timeout server 120s\n  \
         retries 3\n  option redispatch\n  option http-server-close\n  retry-on conn-failure empty-response response-timeout\n\
         frontend fe\n  bind 127.0.0.1:{lb_port}\n  default_backend web\n\
         backend web\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n  \
         default-server inter 500ms fall 1 rise 1\n{servers}"
    );
    let cfg = dir.join("haproxy.cfg");
    fs::write(&cfg, config).unwrap();
    let haproxy = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy is not installed; install it: apt-get install haproxy");
    let url = format!("http://127.0.0.1:{lb_port}/healthz");
    eventually("haproxy to serve", Duration::from_secs(30), || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            http.get(url)
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
        }
    })
    .await;
    (haproxy, lb_port)
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = self.haproxy.kill();
        let _ = self.haproxy.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
