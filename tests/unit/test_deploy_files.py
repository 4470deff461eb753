"""The deployment files (deploy/) and their lint (scripts/lint-deploy.sh, `make lint-deploy`).

The lint passes on the real files and fails on broken copies of them. The properties that matter most
are also checked here directly, independently of the lint: no secret is written in any file, only the
Rasa servers reach the action server, no route exposes the Rasa HTTP API, and Rasa loads endpoints.yml.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEPLOY_DIR = PROJECT_DIR / "deploy"
LINT = PROJECT_DIR / "scripts" / "lint-deploy.sh"
K8S_DIR = DEPLOY_DIR / "k8s"
RASA_LABELS = {"app.kubernetes.io/name": "rasa", "app.kubernetes.io/part-of": "public-services-assistant"}


def run_lint(deploy_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(LINT), str(deploy_dir)], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def real_files_lint() -> subprocess.CompletedProcess[str]:
    """The lint on the real files (the first run sets up .venv-lint and nginx if they are missing)."""
    return run_lint(DEPLOY_DIR)


def load_k8s(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((K8S_DIR / name).read_text(encoding="utf-8")) if doc]


def all_k8s() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S_DIR.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in load_k8s(path.name)]


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- the lint ---

def test_lint_passes_on_the_real_files(real_files_lint: subprocess.CompletedProcess[str]) -> None:
    assert real_files_lint.returncode == 0, real_files_lint.stdout + real_files_lint.stderr
    assert "12 checks, 0 problems" in real_files_lint.stdout


def test_lint_is_fast_once_set_up(real_files_lint: subprocess.CompletedProcess[str]) -> None:
    started = time.monotonic()
    result = run_lint(DEPLOY_DIR)
    assert result.returncode == 0
    assert time.monotonic() - started < 30


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}: update the test"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def misspell_k8s_field(deploy: Path) -> None:
    replace_in(deploy / "k8s" / "rasa.yaml", "          readinessProbe:", "          readinesProbe:")


def depend_on_missing_service(deploy: Path) -> None:
    replace_in(deploy / "docker-compose.yml", "    depends_on:\n      rasa-1:",
               "    depends_on:\n      chatbot:\n        condition: service_started\n      rasa-1:")


def break_nginx_syntax(deploy: Path) -> None:
    for name in ("nginx.conf.template", "nginx.conf"):  # the rendering still agrees: only nginx -t objects
        replace_in(deploy / name, "keepalive 16;", "keepalive 16")


def forget_to_render_nginx(deploy: Path) -> None:
    replace_in(deploy / "nginx.conf.template", "client_max_body_size 64k;", "client_max_body_size 128k;")


def write_a_password(deploy: Path) -> None:
    replace_in(deploy / "docker-compose.yml",
               "      REDIS_PASSWORD: ${REDIS_PASSWORD:?set REDIS_PASSWORD (deploy/README.md)}\n"
               "    networks:\n      - lock",
               "      REDIS_PASSWORD: Sup3rSecretRedis\n    networks:\n      - lock")


def fill_in_the_secret_template(deploy: Path) -> None:
    replace_in(deploy / "k8s" / "secret.example.yaml", 'RASA_AUTH_TOKEN: ""',
               'RASA_AUTH_TOKEN: "0123456789abcdef"')


def expose_the_rasa_api(deploy: Path) -> None:
    for name in ("nginx.conf.template", "nginx.conf"):
        replace_in(deploy / name, "        location /operator/ {",
                   "        location /status {\n            proxy_pass http://rasa;\n        }\n\n"
                   "        location /operator/ {")


def let_web_reach_the_actions(deploy: Path) -> None:
    replace_in(deploy / "docker-compose.yml", "    networks:\n      - frontend\n      - db-web\n",
               "    networks:\n      - frontend\n      - db-web\n      - actions\n")


def publish_unmasked_events(deploy: Path) -> None:
    for path in (deploy / "endpoints.yml", deploy / "k8s" / "configmap.yaml"):  # the copies still agree
        replace_in(path, "type: bot.brokers.MaskingPikaEventBroker", "type: pika")


@pytest.mark.parametrize(("breakage", "check", "said"), [
    (misspell_k8s_field, "kubernetes schemas", "readinesProbe"),
    (depend_on_missing_service, "compose references", "depends_on names no service: chatbot"),
    (break_nginx_syntax, "nginx -t", "nginx -t"),
    (forget_to_render_nginx, "nginx render", "render it again"),
    (write_a_password, "secrets", "a literal secret"),
    (fill_in_the_secret_template, "secrets", "RASA_AUTH_TOKEN has a value"),
    (expose_the_rasa_api, "nginx routes", "location /status passes to the Rasa servers"),
    (let_web_reach_the_actions, "compose references", "web shares a network with actions"),
    (publish_unmasked_events, "rasa endpoints", "the event broker is pika"),
])
def test_lint_fails_on_a_broken_copy(real_files_lint: subprocess.CompletedProcess[str], tmp_path: Path,
                                     breakage: Callable[[Path], None], check: str, said: str) -> None:
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY_DIR, deploy)
    breakage(deploy)
    result = run_lint(deploy)
    assert result.returncode != 0, result.stdout
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert any(line.startswith(f"FAIL [{check}]") and said in line for line in failures), result.stdout


# --- secrets ---

#: ``password: value``, ``TOKEN=value`` and the like, whose value is no reference (``${...}``, ``$(...)``).
LITERAL_SECRET = re.compile(r"(?i)(password|passwd|_pass|secret|token)[:=]\s*[\"']?([A-Za-z0-9+/_.-]{6,})")
URL_PASSWORD = re.compile(r"://[^:/@\s\"']+:(\$\{[^}]*\}|\$\([^)]*\)|[^@\s\"']+)@")


def deploy_texts() -> list[tuple[Path, str]]:
    paths = [p for p in DEPLOY_DIR.rglob("*") if p.is_file()] + [PROJECT_DIR / ".dockerignore"]
    return [(path, path.read_text(encoding="utf-8")) for path in sorted(paths)]


def test_no_secret_is_written_in_the_deployment_files() -> None:
    found = []
    for path, text in deploy_texts():
        for number, line in enumerate(text.splitlines(), 1):
            for match in LITERAL_SECRET.finditer(line):
                if match.group(2).lower() not in ("false", "true"):
                    found.append(f"{path.name}:{number}: {line.strip()}")
            for password in URL_PASSWORD.findall(line):
                if not password.startswith(("${", "$(")):
                    found.append(f"{path.name}:{number}: {line.strip()}")
            if "change-me" in line:
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert not found


def test_compose_takes_every_secret_from_the_environment() -> None:
    compose = yaml.safe_load((DEPLOY_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    urls = 0
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            secret = re.search(r"PASSWORD|_PASS$|TOKEN|SECRET", key)
            if secret and service.get("profiles"):  # an optional part: empty means "not used"
                assert str(value) == "${" + key + ":-}", (name, key)
            elif secret:
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", str(value)), (name, key, value)
            for password in URL_PASSWORD.findall(str(value)):
                urls += 1
                assert re.fullmatch(r"\$\{[A-Z_]+_DB_PASSWORD:\?[^}]*\}", password), (name, key)
        command = [str(part) for part in service.get("command") or []]
        if "--auth-token" in command:
            assert command[command.index("--auth-token") + 1].startswith("${RASA_AUTH_TOKEN:?")
    assert urls >= 4, "the database URLs were not found"


def test_kubernetes_takes_every_secret_from_the_secret() -> None:
    template = load_k8s("secret.example.yaml")[0]
    assert template["kind"] == "Secret"
    assert all(value == "" for value in template["stringData"].values())
    for doc in all_k8s():
        if doc["kind"] != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for entry in container.get("env") or []:
                if re.search(r"PASSWORD|TOKEN|SECRET", entry["name"]):
                    reference = entry["valueFrom"]["secretKeyRef"]
                    assert "value" not in entry
                    assert reference["name"] == template["metadata"]["name"]
                    assert reference["key"] in template["stringData"]
            arguments = container.get("args") or []
            if "--auth-token" in arguments:
                assert arguments[arguments.index("--auth-token") + 1] == "$(RASA_AUTH_TOKEN)"


# --- who reaches what ---

def test_only_rasa_pods_reach_the_action_server() -> None:
    deployments = {doc["metadata"]["name"]: doc for doc in all_k8s() if doc["kind"] == "Deployment"}
    action_labels = deployments["actions"]["spec"]["template"]["metadata"]["labels"]
    policies = [doc for doc in load_k8s("networkpolicies.yaml") if doc["kind"] == "NetworkPolicy"
                and matches(doc["spec"]["podSelector"].get("matchLabels") or {}, action_labels)]
    assert any("Ingress" in policy["spec"]["policyTypes"] for policy in policies), "not isolated"
    rules = [rule for policy in policies for rule in policy["spec"].get("ingress") or []]
    assert rules, "nothing may reach the action server at all"
    for rule in rules:
        assert rule.get("from"), "a rule admitting every source"
        for peer in rule["from"]:
            assert set(peer) == {"podSelector"}, f"not only pods of this namespace: {peer}"
            selector = peer["podSelector"]["matchLabels"]
            assert selector == RASA_LABELS
            admitted = [name for name, doc in deployments.items()
                        if matches(selector, doc["spec"]["template"]["metadata"]["labels"])]
            assert admitted == ["rasa"]
        assert [port["port"] for port in rule["ports"]] == [5055]


def test_compose_keeps_the_action_server_and_the_stores_apart() -> None:
    compose = yaml.safe_load((DEPLOY_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]

    def networks(name: str) -> set[str]:
        value = services[name].get("networks") or []
        return set(value if isinstance(value, list) else value)

    def peers(name: str) -> set[str]:
        return {other for other in services if other != name and networks(other) & networks(name)}

    assert peers("actions") == {"rasa-1", "rasa-2", "portal", "postgres"}
    assert peers("portal") == {"actions", "postgres"}
    assert peers("redis") == peers("rabbitmq") == {"rasa-1", "rasa-2"}
    assert [name for name, service in services.items() if service.get("ports")] == ["nginx"]
    for name in ("actions", "portal", "postgres", "redis", "rabbitmq"):
        assert all(compose["networks"][network].get("internal") for network in networks(name)), name


def nginx_locations(config: str) -> list[tuple[str, str]]:
    """Every ``location`` of an nginx configuration: its arguments and its block (nested blocks included)."""
    text = re.sub(r"#[^\n]*", "", config)
    locations = []
    for match in re.finditer(r"location\s+([^{]+?)\s*\{", text):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        locations.append((match.group(1), text[match.end():end - 1]))
    return locations


def test_no_public_route_reaches_the_rasa_api() -> None:
    config = (DEPLOY_DIR / "nginx.conf").read_text(encoding="utf-8")
    to_rasa = [arguments for arguments, block in nginx_locations(config)
               if "proxy_pass http://rasa;" in block]
    assert to_rasa, "the webhooks are not routed to the Rasa servers"
    for arguments in to_rasa:
        regex, _, path = arguments.partition(" ")
        assert regex == "~", f"location {arguments} is a prefix, not the webhook pattern"
        assert re.search(path, "/webhooks/rest/webhook")
        for api in ("/status", "/model", "/version", "/conversations/me/tracker", "/webhooks/rest/",
                    "/webhooks/rest/webhook/../../status", "/model/train"):
            assert not re.search(path, api), (path, api)
    for ingress in load_k8s("ingress.yaml"):
        for rule in ingress["spec"]["rules"]:
            for route in rule["http"]["paths"]:
                if route["backend"]["service"]["name"] == "rasa":
                    assert route["path"] == "/webhooks/", route


# --- the Rasa servers' endpoints ---

ENDPOINT_VARIABLES = {
    "ACTION_ENDPOINT_URL": "http://actions:5055/webhook", "POSTGRES_HOST": "postgres",
    "POSTGRES_PORT": "5432", "TRACKER_DB_PASSWORD": "tracker-password",
    "REDIS_HOST": "redis", "REDIS_PORT": "6379",
    "REDIS_PASSWORD": "redis-password", "RABBITMQ_HOST": "rabbitmq", "RABBITMQ_PORT": "5672",
    "RABBITMQ_USER": "assistant", "RABBITMQ_PASSWORD": "rabbitmq-password",
}


def test_rasa_reads_the_production_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.utils import AvailableEndpoints

    for name, value in ENDPOINT_VARIABLES.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(DEPLOY_DIR / "endpoints.yml"))
    assert endpoints.action is not None and endpoints.action.url == "http://actions:5055/webhook"
    assert endpoints.tracker_store is not None and endpoints.lock_store is not None
    assert endpoints.event_broker is not None
    assert endpoints.tracker_store.type == "SQL"
    assert endpoints.tracker_store.url == "postgres"
    assert endpoints.tracker_store.kwargs["dialect"] == "postgresql"
    assert endpoints.tracker_store.kwargs["password"] == "tracker-password"
    assert endpoints.lock_store.type == "redis"
    assert endpoints.lock_store.kwargs["password"] == "redis-password"
    assert endpoints.event_broker.type == "bot.brokers.MaskingPikaEventBroker"
    assert endpoints.event_broker.kwargs["queues"] == ["assistant_events"]


def test_rasa_refuses_the_endpoints_without_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.utils import AvailableEndpoints

    for name, value in ENDPOINT_VARIABLES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_PASSWORD")
    with pytest.raises(Exception, match="REDIS_PASSWORD"):
        AvailableEndpoints.read_endpoints(str(DEPLOY_DIR / "endpoints.yml"))
