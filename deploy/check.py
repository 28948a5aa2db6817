#!/usr/bin/env python3
"""Structural checks of the deployment files that no schema catches.

    python3 deploy/check.py path/to/ferry

Checks that every process a platform is told to run is a real `ferry` subcommand,
that compose can `--scale` web/worker/clock (no fixed host port, no container_name),
that every release dependency is in place, that Kubernetes grace periods exceed
SHUTDOWN_TIMEOUT and probes point at /readyz and /healthz, that every file a
kustomization lists exists, that the optional Garage stays optional and keeps its
metadata and data on volumes, that web gets a PUBLIC_URL everywhere (it refuses to
start without one), and that app.json generates the session secret.
Prints one line per failed check and exits 1 if any failed.
"""
import json
import os
import re
import subprocess
import sys
import tomllib

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRY = sys.argv[1]
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)


def subcommand_exists(args):
    return subprocess.run([FERRY, *args, "--help"], capture_output=True).returncode == 0


def public_url(value):
    """Whether `value` is an http(s) base URL, or a compose `${VAR:-default}` or
    `${VAR:?message}` whose default is one or that refuses to start without it."""
    value = str(value or "").strip()
    expression = re.fullmatch(r"\$\{[A-Z_]+(?::?([-?])(.*))?\}", value)
    if expression:
        kind, rest = expression.groups()
        return kind == "?" or (kind == "-" and public_url(rest))
    return re.fullmatch(r"https?://[^/\s]+(/\S*)?", value) is not None


# Procfile: release/web/worker/clock, each a real subcommand.
procfile = {}
with open(os.path.join(ROOT, "Procfile")) as f:
    for line in f:
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            words = command.split()
            # `exec` makes the shell that runs the line become ferry, so SIGTERM
            # reaches ferry itself and its exit status is the process's.
            check(words[0] == "exec", f"Procfile {name.strip()}: start the command with `exec`")
            procfile[name.strip()] = words[1:] if words[0] == "exec" else words
check(set(procfile) == {"release", "web", "worker", "clock"}, f"Procfile process types: {sorted(procfile)}")
for name, command in procfile.items():
    check(command[0] == "ferry" and subcommand_exists(command[1:]), f"Procfile {name}: `{' '.join(command)}` is not a ferry subcommand")

# compose.yaml
with open(os.path.join(ROOT, "deploy", "compose.yaml")) as f:
    compose = yaml.safe_load(f)
services = compose["services"]
for needed in ["postgres", "redis", "release", "web", "worker", "clock", "proxy"]:
    check(needed in services, f"compose: service {needed} is missing")
for name, service in services.items():
    check("container_name" not in service, f"compose: {name} has container_name (breaks --scale)")
    for dep in service.get("depends_on", {}) or {}:
        check(dep in services, f"compose: {name} depends on unknown service {dep}")
    if name in ("release", "web", "worker", "clock"):
        check(subcommand_exists(service["command"]), f"compose: {name} runs `{service['command']}`, not a ferry subcommand")
        check(service.get("image", "").startswith("${FERRY_IMAGE"), f"compose: {name} does not use the ferry image")
for name in ("web", "worker", "clock"):
    check("ports" not in services[name], f"compose: {name} publishes a host port (breaks --scale)")
    deps = services[name].get("depends_on", {})
    check(deps.get("release", {}).get("condition") == "service_completed_successfully", f"compose: {name} does not wait for release")
check(services["release"]["command"] == ["migrate"], "compose: release does not migrate")
check(services["proxy"].get("ports"), "compose: the proxy publishes no port")
env = services["web"]["environment"]
for var in ("DATABASE_URL", "REDIS_URL", "SESSION_SECRET"):
    check(var in env, f"compose: web lacks {var}")
# `ferry web` refuses to start without PUBLIC_URL: share links never follow a Host.
check(public_url(env.get("PUBLIC_URL")), f"compose: web's PUBLIC_URL {env.get('PUBLIC_URL')!r} is not an http(s) base URL (ferry web will not start without one)")
import ipaddress
trusted = [ipaddress.ip_network(n.strip()) for n in str(env.get("TRUSTED_PROXIES", "")).split(",") if n.strip()]
check(trusted and all(n.num_addresses <= 256 for n in trusted), f"compose: TRUSTED_PROXIES {env.get('TRUSTED_PROXIES')} trusts more than the proxy network")
proxy_ip = services["proxy"].get("networks", {}).get("edge", {}).get("ipv4_address")
check(proxy_ip and any(ipaddress.ip_address(proxy_ip) in n for n in trusted), "compose: the proxy's address is not in TRUSTED_PROXIES")

# The optional Garage (S3 store): behind a profile, so a plain `up` does not start it;
# its config mounted from deploy/, with metadata and data on named volumes (not in the
# container's own layer) and no secret in the committed file.
garage = services.get("garage")
check(garage is not None, "compose: the optional garage service is missing")
if garage:
    check(garage.get("profiles") == ["s3"], "compose: garage is not behind `profiles: [s3]`")
    check(str(garage.get("image", "")).startswith("dxflrs/garage:v2."), f"compose: garage image {garage.get('image')} is not Garage 2.x")
    # Short syntax `source:target[:mode]`, keyed by target.
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in garage.get("volumes", [])}
    config_source = mounts.get("/etc/garage.toml", "")
    config_path = os.path.join(ROOT, "deploy", config_source)
    check(config_source and os.path.exists(config_path), "compose: garage does not mount an existing config at /etc/garage.toml")
    if config_source and os.path.exists(config_path):
        with open(config_path, "rb") as f:
            garage_config = tomllib.load(f)
        named_volumes = compose.get("volumes") or {}
        for key in ("metadata_dir", "data_dir"):
            source = mounts.get(garage_config.get(key, ""))
            check(source in named_volumes, f"compose: garage's {key} is not on a named volume")
        check("rpc_secret" not in garage_config, "garage.toml: rpc_secret belongs in GARAGE_RPC_SECRET, not in the committed file")
        check(garage_config.get("s3_api", {}).get("s3_region"), "garage.toml: no s3_api.s3_region (what S3_REGION must match)")

# Kubernetes
base = os.path.join(ROOT, "deploy", "kubernetes", "base")
for kustomization_dir in (base, os.path.join(ROOT, "deploy", "kubernetes", "overlays", "example")):
    with open(os.path.join(kustomization_dir, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    for resource in kustomization["resources"]:
        check(os.path.exists(os.path.join(kustomization_dir, resource)), f"kustomize: {resource} listed but missing")
documents = []
for name in os.listdir(base):
    if name.endswith(".yaml") and name != "kustomization.yaml":
        with open(os.path.join(base, name)) as f:
            documents.extend(d for d in yaml.safe_load_all(f) if d)
config = next(d for d in documents if d["kind"] == "ConfigMap")
shutdown = int(config["data"]["SHUTDOWN_TIMEOUT"])
check(public_url(config["data"].get("PUBLIC_URL")), f"kubernetes: the ConfigMap's PUBLIC_URL {config['data'].get('PUBLIC_URL')!r} is not an http(s) base URL (ferry web will not start without one)")
deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
check(set(deployments) == {"ferry-web", "ferry-worker", "ferry-clock"}, f"kubernetes deployments: {sorted(deployments)}")
for name, deployment in deployments.items():
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    check(subcommand_exists(container["args"]), f"kubernetes {name}: args {container['args']} are not a ferry subcommand")
    check(pod.get("terminationGracePeriodSeconds", 30) > shutdown, f"kubernetes {name}: grace period not above SHUTDOWN_TIMEOUT")
web = deployments["ferry-web"]["spec"]["template"]["spec"]["containers"][0]
check(web["readinessProbe"]["httpGet"]["path"] == "/readyz", "kubernetes web: readiness is not /readyz")
check(web["livenessProbe"]["httpGet"]["path"] == "/healthz", "kubernetes web: liveness is not /healthz")
check("preStop" in web.get("lifecycle", {}), "kubernetes web: no preStop pause")
web_pod = deployments["ferry-web"]["spec"]["template"]["spec"]
check(web_pod["terminationGracePeriodSeconds"] > shutdown + web["lifecycle"]["preStop"]["sleep"]["seconds"], "kubernetes web: grace period does not cover preStop + SHUTDOWN_TIMEOUT")
jobs = [d for d in documents if d["kind"] == "Job"]
check(jobs and jobs[0]["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"], "kubernetes: no migrate Job")
kinds = {d["kind"] for d in documents}
for kind in ("Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler", "ConfigMap"):
    check(kind in kinds, f"kubernetes: no {kind}")

# app.json
with open(os.path.join(ROOT, "app.json")) as f:
    app = json.load(f)
check(app["env"]["SESSION_SECRET"].get("generator") == "secret", "app.json: SESSION_SECRET is not generated")
check(app["env"].get("PUBLIC_URL", {}).get("required") is True, "app.json: PUBLIC_URL is not required (ferry web will not start without it)")
check(set(app["formation"]) == {"web", "worker", "clock"}, "app.json: formation is not web/worker/clock")
plans = {a["plan"] for a in app["addons"]}
check({"heroku-postgresql", "heroku-redis"} <= plans, "app.json: Postgres and Redis add-ons missing")
# Against the schema Heroku publishes (deploy/heroku/README.md says where it comes from).
try:
    import jsonschema
except ImportError:
    sys.exit("the jsonschema module is missing; install it: pip install jsonschema")
with open(os.path.join(ROOT, "deploy/heroku/app-json.schema.json")) as f:
    app_schema = json.load(f)
for error in jsonschema.Draft7Validator(app_schema).iter_errors(app):
    check(False, f"app.json{error.json_path[1:]}: {error.message}")
# The buildpack path: a stack that runs the Procfile's release phase, the Rust
# buildpack building the one binary, and that binary on every dyno's PATH.
check(app.get("stack", "").startswith("heroku-"), "app.json: not a buildpack stack (the container stack ignores the Procfile's release phase)")
check(any("heroku-buildpack-rust" in b["url"] for b in app.get("buildpacks", [])), "app.json: no Rust buildpack")
with open(os.path.join(ROOT, "RustConfig")) as f:
    rust_config = f.read()
check("-p ferry" in rust_config and "--locked" in rust_config, "RustConfig: does not build the ferry binary (--locked -p ferry)")
with open(os.path.join(ROOT, ".profile.d/ferry.sh")) as f:
    check("$HOME/target/release" in f.read(), ".profile.d/ferry.sh: target/release is not put on PATH")

for failure in failures:
    print("FAIL:", failure)
print(f"deploy checks: {len(failures)} failed")
sys.exit(1 if failures else 0)
