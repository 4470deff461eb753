"""The checks of ``scripts/lint-deploy.sh``: the deployment files in ``deploy/`` (see deploy/README.md).

Runs inside ``.venv-lint`` (PyYAML, jsonschema 4, kubernetes-validate, yamllint), offline. Every
check runs and reports; the exit status is 1 when any failed.

- YAML: yamllint with ``deploy/yamllint.yml`` on every YAML file.
- Compose (``docker-compose.yml`` and ``docker-compose.external-stores.yml``): ``docker compose config
  --quiet`` when the Compose plugin is installed, else the Compose specification's JSON schema; then
  the cross-references (depends_on, networks, volumes, bind mounts), which parts may share a network
  with the stores, the action server and the portal, that only nginx publishes a port, and that every
  variable used is documented in ``.env.example`` or ``deploy/README.md``.
- nginx: ``nginx.conf`` is ``nginx.conf.template`` rendered with ``nginx.compose.env``; ``nginx -t``
  on it (upstream hosts replaced by 127.0.0.1); only the channel webhooks reach the Rasa servers, and a
  webhook POST is never retried on another server.
- Kubernetes (``k8s/``): kubernetes-validate, strict, against Kubernetes ``K8S_VERSION``; then
  kustomization, namespaces, selectors, Services, Ingress backends, NetworkPolicies, disruption budgets,
  and that the Rasa files in the ConfigMap are ``endpoints.yml`` and the project's ``credentials.yml``.
- Rasa endpoints: every variable ``endpoints.yml`` needs reaches the Rasa servers, and the event
  broker is ``MASKING_BROKER`` (events leave with ID numbers and phone numbers masked), a class the
  project defines.
- Secrets: nothing that looks like a password or token is written in any file; compose takes them as
  ``${VAR:?}``, Kubernetes from ``secretKeyRef``; the Secret template has no values.
- The image: what the Dockerfile copies exists and is not left out by ``.dockerignore``, which keeps
  out local state (.env, .venv, var, .git, ...); the image runs as a non-root account.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import yaml

#: The Kubernetes version the manifests are validated against (kubernetes-validate bundles its schemas).
K8S_VERSION = "1.30.0"
#: Manifests in k8s/ deliberately left out of kustomization.yaml.
OPTIONAL_MANIFESTS = ("secret.example.yaml", "telegram.yaml")
#: The placeholders of nginx.conf.template.
NGINX_PLACEHOLDERS = ("LISTEN_PORT", "RASA_UPSTREAMS", "WEB_UPSTREAMS", "OPERATOR_ACCESS")
#: Compose services allowed to publish ports, and the networks with a way out each may join.
PUBLISHING_SERVICES = {"nginx"}
WAY_OUT = {"nginx": {"edge"}, "telegram": {"egress"}}
#: Compose services that only these others may share a network with: the parts that call them, and
#: (Docker networks work both ways) the parts they call themselves.
RASA_SERVERS = {"rasa-1", "rasa-2"}
REACHABLE_ONLY_FROM = {
    "actions": RASA_SERVERS | {"portal", "postgres"},
    "portal": {"actions", "postgres"},
    "redis": RASA_SERVERS,
    "rabbitmq": RASA_SERVERS,
    "postgres": RASA_SERVERS | {"actions", "portal", "web", "telegram"},
}
#: Names of settings that hold secrets.
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|_PASS\b|TOKEN|SECRET", re.IGNORECASE)
#: Keys whose values name a secret rather than hold one.
SECRET_REFERENCE_KEYS = {"secretname", "secretkeyref", "secretref"}
#: The event broker of the Rasa servers: Rasa's pika broker publishing masked events (bot/brokers.py).
MASKING_BROKER = "bot.brokers.MaskingPikaEventBroker"
#: Strings that must never be in a deployment file (development defaults).
FORBIDDEN_STRINGS = ("change-me",)
COMPOSE_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)
URL_CREDENTIALS = re.compile(r"://[^:/@\s\"']+:(?P<password>\$\{[^}]*\}|\$\([^)]*\)|[^@\s\"']+)@")


@dataclass
class Report:
    """Failures by check."""

    failures: list[tuple[str, str]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def fail(self, check: str, message: str) -> None:
        self.failures.append((check, message))
        print(f"FAIL [{check}] {message}", flush=True)

    def run(self, check: str, function: Callable[[], None]) -> None:
        self.checks.append(check)
        before = len(self.failures)
        try:
            function()
        except Exception as error:  # a check that breaks is a failed check, with its reason
            self.fail(check, f"{type(error).__name__}: {error}")
        if len(self.failures) == before:
            print(f"ok   [{check}]", flush=True)


@dataclass
class Lint:
    """The deployment files of one folder, checked against the project."""

    project: Path
    deploy: Path
    compose_schema: Path
    report: Report = field(default_factory=Report)

    # --- helpers ---

    def fail(self, message: str) -> None:
        self.report.fail(self.report.checks[-1] if self.report.checks else "lint", message)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.deploy.parent))
        except ValueError:
            return str(path)

    def yaml_files(self) -> list[Path]:
        return sorted(p for p in self.deploy.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())

    def load_all(self, path: Path) -> list[Any]:
        return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]

    # --- YAML ---

    def check_yamllint(self) -> None:
        from yamllint import linter
        from yamllint.config import YamlLintConfig

        config = YamlLintConfig(file=str(self.project / "deploy" / "yamllint.yml"))
        for path in self.yaml_files():
            for problem in linter.run(path.read_text(encoding="utf-8"), config, str(path)):
                self.fail(
                    f"{self.rel(path)}:{problem.line}:{problem.column}: "
                    f"{problem.desc} ({problem.rule or 'syntax'}, {problem.level})"
                )

    # --- Compose ---

    def compose_variables(self, path: Path) -> dict[str, str]:
        """Return every variable a Compose file interpolates, with its form (``:?``, ``:-``, ...)."""
        found: dict[str, str] = {}
        lines = path.read_text(encoding="utf-8").splitlines()
        text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
        for match in COMPOSE_VARIABLE.finditer(text):
            name = match.group("name") or match.group("bare")
            if name:
                found.setdefault(name, match.group("op") or "")
        return found

    def lint_environment(self, variables: dict[str, str]) -> dict[str, str]:
        """Dummy values for the variables a Compose file requires (the others keep their defaults)."""
        return {
            name: f"lint-{name.lower().replace('_', '-')}"
            for name, op in variables.items()
            if op in ("", ":?", "?")
        }

    def interpolate(self, value: Any, environment: dict[str, str]) -> Any:
        if isinstance(value, dict):
            return {key: self.interpolate(item, environment) for key, item in value.items()}
        if isinstance(value, list):
            return [self.interpolate(item, environment) for item in value]
        if not isinstance(value, str):
            return value

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name = match.group("name") or match.group("bare")
            op, arg = match.group("op") or "", match.group("arg") or ""
            current = environment.get(name)
            if op in (":-", "-"):
                return arg if (current is None or (op == ":-" and current == "")) else current
            if op in (":?", "?") and (current is None or (op == ":?" and current == "")):
                raise ValueError(f"required variable {name} is not set: {arg}")
            return current or ""

        return COMPOSE_VARIABLE.sub(replace, value)

    def compose_files(self) -> tuple[Path, Path]:
        return self.deploy / "docker-compose.yml", self.deploy / "docker-compose.external-stores.yml"

    def check_compose_structure(self) -> None:
        base, override = self.compose_files()
        variables = {**self.compose_variables(base), **self.compose_variables(override)}
        environment = self.lint_environment(variables)
        docker = shutil.which("docker")
        if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
            print("     compose: validated by `docker compose config --quiet`", flush=True)
            for files in ([base], [base, override]):
                arguments = [part for file in files for part in ("-f", str(file))]
                result = subprocess.run(
                    [docker, "compose", *arguments, "--profile", "telegram", "config", "--quiet"],
                    capture_output=True,
                    text=True,
                    env={**os.environ, **environment},
                )
                if result.returncode != 0:
                    self.fail(
                        f"docker compose config {' '.join(map(self.rel, files))}: {result.stderr.strip()}"
                    )
            return
        print(
            "     compose: no `docker compose` here: validated against the Compose schema "
            f"({self.compose_schema.name})",
            flush=True,
        )
        import jsonschema

        schema = json.loads(self.compose_schema.read_text(encoding="utf-8"))
        validator = jsonschema.Draft201909Validator(schema)
        for path in (base, override):
            document = self.interpolate(yaml.safe_load(path.read_text(encoding="utf-8")), environment)
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
                where = "/".join(str(part) for part in error.absolute_path) or "(top)"
                self.fail(f"{self.rel(path)}: {where}: {error.message}")

    def compose_document(self, path: Path) -> dict[str, Any]:
        variables = self.compose_variables(path)
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        return dict(self.interpolate(document, self.lint_environment(variables)))

    @staticmethod
    def service_networks(service: dict[str, Any]) -> set[str]:
        networks = service.get("networks") or []
        return set(networks if isinstance(networks, list) else networks.keys())

    def check_compose_references(self) -> None:
        base, override = self.compose_files()
        document = self.compose_document(base)
        services: dict[str, Any] = document.get("services") or {}
        networks: dict[str, Any] = document.get("networks") or {}
        volumes: dict[str, Any] = document.get("volumes") or {}
        name = self.rel(base)
        used_networks: set[str] = set()
        for service_name, service in services.items():
            where = f"{name}: service {service_name}"
            if not service.get("image") and not service.get("build"):
                self.fail(f"{where}: no image")
            depends = service.get("depends_on") or {}
            for target in depends if isinstance(depends, list) else depends.keys():
                if target not in services:
                    self.fail(f"{where}: depends_on names no service: {target}")
                elif target == service_name:
                    self.fail(f"{where}: depends on itself")
                elif (
                    isinstance(depends, dict)
                    and (depends[target] or {}).get("condition") == "service_healthy"
                    and not (services[target].get("healthcheck") or {}).get("test")
                ):
                    self.fail(f"{where}: waits for {target} to be healthy, which has no healthcheck")
            for network in self.service_networks(service):
                used_networks.add(network)
                if network not in networks:
                    self.fail(f"{where}: network {network} is not defined")
            for mount in service.get("volumes") or []:
                source = mount.split(":", 1)[0] if isinstance(mount, str) else str(mount.get("source", ""))
                if source.startswith("./"):
                    if not (self.deploy / source).exists():
                        self.fail(f"{where}: bind mount of a missing file: {source}")
                elif source and not source.startswith(("/", "../", "~")) and source not in volumes:
                    self.fail(f"{where}: volume {source} is not defined")
            if service.get("ports") and service_name not in PUBLISHING_SERVICES:
                self.fail(
                    f"{where}: publishes ports; only {', '.join(sorted(PUBLISHING_SERVICES))} "
                    "may (the others are reached through it or internal networks)"
                )
        for network, definition in networks.items():
            if network not in used_networks:
                self.fail(f"{name}: network {network} is not used")
            internal = bool((definition or {}).get("internal"))
            allowed = {service for service, nets in WAY_OUT.items() if network in nets}
            if not internal:
                if not allowed:
                    self.fail(f"{name}: network {network} is not internal")
                for service_name, service in services.items():
                    if network in self.service_networks(service) and service_name not in allowed:
                        self.fail(
                            f"{name}: service {service_name} is on {network}, a network with a "
                            "way out; it must stay on internal networks"
                        )
        for guarded, allowed_peers in REACHABLE_ONLY_FROM.items():
            if guarded not in services:
                self.fail(f"{name}: no service {guarded}")
                continue
            own = self.service_networks(services[guarded])
            for other_name, other in services.items():
                if (
                    other_name != guarded
                    and own & self.service_networks(other)
                    and other_name not in allowed_peers
                ):
                    self.fail(
                        f"{name}: {other_name} shares a network with {guarded}, which only "
                        f"{', '.join(sorted(allowed_peers))} may reach"
                    )
        # The override adjusts services of the base file; its networks are defined in one of the two.
        extra = self.compose_document(override)
        all_networks = set(networks) | set(extra.get("networks") or {})
        for service_name, service in (extra.get("services") or {}).items():
            if service_name not in services:
                self.fail(f"{self.rel(override)}: service {service_name} is not in {name}")
            for network in self.service_networks(service or {}):
                if network not in all_networks:
                    self.fail(
                        f"{self.rel(override)}: service {service_name}: network {network} is not defined"
                    )

    def documented_names(self) -> set[str]:
        names: set[str] = set()
        example = self.project / ".env.example"
        if example.is_file():
            names |= set(re.findall(r"^\s*([A-Z][A-Z0-9_]*)=", example.read_text(encoding="utf-8"), re.M))
        readme = self.deploy / "README.md"
        if readme.is_file():
            names |= set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", readme.read_text(encoding="utf-8")))
        return names

    def check_compose_variables(self) -> None:
        documented = self.documented_names()
        for path in self.compose_files():
            for name in sorted(self.compose_variables(path)):
                if name not in documented:
                    self.fail(
                        f"{self.rel(path)}: variable {name} is documented neither in "
                        ".env.example nor in deploy/README.md"
                    )

    # --- nginx ---

    def nginx_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for line in (self.deploy / "nginx.compose.env").read_text(encoding="utf-8").splitlines():
            match = re.match(r"^([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|\"([^\"]*)\"|(\S*))\s*$", line.strip())
            if match:
                values[match.group(1)] = next(group for group in match.groups()[1:] if group is not None)
            elif line.strip() and not line.strip().startswith("#"):
                raise ValueError(f"nginx.compose.env: not NAME='value': {line!r}")
        return values

    def check_nginx_render(self) -> None:
        template = (self.deploy / "nginx.conf.template").read_text(encoding="utf-8")
        placeholders = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", template))
        if placeholders != set(NGINX_PLACEHOLDERS):
            self.fail(
                f"nginx.conf.template: placeholders {sorted(placeholders)}, "
                f"expected {sorted(NGINX_PLACEHOLDERS)}"
            )
        values = self.nginx_values()
        missing = [name for name in NGINX_PLACEHOLDERS if name not in values]
        if missing:
            self.fail(f"nginx.compose.env: no value for {', '.join(missing)}")
            return
        rendered = re.sub(
            r"\$\{(" + "|".join(NGINX_PLACEHOLDERS) + r")\}", lambda m: values[m.group(1)], template
        )
        if rendered != (self.deploy / "nginx.conf").read_text(encoding="utf-8"):
            self.fail(
                "nginx.conf is not nginx.conf.template rendered with nginx.compose.env: "
                'render it again (deploy/README.md, "nginx")'
            )

    def check_nginx_syntax(self) -> None:
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if nginx is None:
            self.fail("nginx is not installed (scripts/lint-deploy.sh installs it as root)")
            return
        text = (self.deploy / "nginx.conf").read_text(encoding="utf-8")
        # The upstream hosts exist only inside compose's networks: nginx -t must resolve them.
        text = re.sub(r"\bserver\s+[A-Za-z0-9_.-]+:(\d+)", r"server 127.0.0.1:\1", text)
        with tempfile.TemporaryDirectory(prefix="lint-nginx-") as prefix:
            config = Path(prefix) / "nginx.conf"
            config.write_text(text, encoding="utf-8")
            result = subprocess.run(
                [nginx, "-t", "-q", "-e", "stderr", "-p", prefix + "/", "-c", str(config)],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                output = result.stderr.replace(str(config), "nginx.conf").strip()
                self.fail(f"nginx -t: {output}")

    def check_nginx_routes(self) -> None:
        tree = parse_nginx((self.deploy / "nginx.conf").read_text(encoding="utf-8"))
        compose = self.compose_document(self.deploy / "docker-compose.yml")
        services = compose.get("services") or {}
        rasa_services = {
            name
            for name, service in services.items()
            if "bot.rasa_server" in [str(part) for part in service.get("command") or []]
        }
        upstreams = {directive.args[0]: directive for directive in walk(tree) if directive.name == "upstream"}
        hosts = {
            name: {
                server.args[0].rsplit(":", 1)[0] for server in upstream.children if server.name == "server"
            }
            for name, upstream in upstreams.items()
        }
        if hosts.get("rasa", set()) != rasa_services:
            self.fail(
                f"upstream rasa has {sorted(hosts.get('rasa', set()))}; the Rasa servers of "
                f"docker-compose.yml are {sorted(rasa_services)}"
            )
        for name, names in hosts.items():
            for host in names - set(services):
                self.fail(f"upstream {name}: {host} is no service of docker-compose.yml")
        if any("non_idempotent" in directive.args for directive in walk(tree)):
            self.fail("proxy_next_upstream non_idempotent: a webhook POST could be handled twice")
        server_headers = {
            d.args[0].lower()
            for server in walk(tree)
            if server.name == "server"
            for d in server.children
            if d.name == "proxy_set_header"
        }
        for location in (d for d in walk(tree) if d.name == "location"):
            # A location with proxy_set_header of its own inherits none of the server's.
            own_headers = {d.args[0].lower() for d in location.children if d.name == "proxy_set_header"}
            lost = server_headers - own_headers if own_headers else set()
            if lost & {"host", "x-forwarded-for", "x-real-ip", "x-forwarded-proto"}:
                self.fail(
                    f"location {' '.join(location.args)}: its proxy_set_header drops the server's "
                    f"{', '.join(sorted(lost))} (repeat them there)"
                )
            passes = [d.args[0] for d in location.children if d.name == "proxy_pass"]
            if "http://rasa" not in passes:
                continue
            path = " ".join(location.args)
            if not re.fullmatch(r"~ \^/webhooks/.+/webhook\$", path):
                self.fail(f"location {path} passes to the Rasa servers: only the channel webhooks may")
            methods = [d.args for d in location.children if d.name == "limit_except"]
            if methods != [["POST"]]:
                self.fail(f"location {path}: the webhooks take POST only (limit_except POST)")
            retries = [d.args for d in location.children if d.name == "proxy_next_upstream"]
            if retries not in ([["error"]], [["off"]]):
                self.fail(
                    f"location {path}: proxy_next_upstream must be 'error' or 'off' (a POST that "
                    f"reached a Rasa server must not be sent to another), not {retries}"
                )

    # --- Kubernetes ---

    def k8s_documents(self) -> list[tuple[Path, dict[str, Any]]]:
        return [
            (path, doc)
            for path in sorted((self.deploy / "k8s").glob("*.yaml"))
            if path.name != "kustomization.yaml"
            for doc in self.load_all(path)
        ]

    def check_k8s_schemas(self) -> None:
        import kubernetes_validate

        for path, doc in self.k8s_documents():
            what = f"{self.rel(path)}: {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
            try:
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                # kubernetes-validate's error is jsonschema's, with its path and message.
                where = ".".join(str(part) for part in error.absolute_path) or "(top)"
                self.fail(f"{what}: {where}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError as error:
                self.fail(f"{what}: {error}")

    def check_k8s_references(self) -> None:
        k8s = self.deploy / "k8s"
        kustomization = yaml.safe_load((k8s / "kustomization.yaml").read_text(encoding="utf-8"))
        namespace = kustomization.get("namespace")
        listed = list(kustomization.get("resources") or [])
        for resource in listed:
            if not (k8s / resource).is_file():
                self.fail(f"kustomization.yaml: resource {resource} does not exist")
        for path in sorted(k8s.glob("*.y*ml")):
            if (
                path.name != "kustomization.yaml"
                and path.name not in listed
                and path.name not in OPTIONAL_MANIFESTS
            ):
                self.fail(f"{self.rel(path)} is not in kustomization.yaml")
        documents = self.k8s_documents()
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for path, doc in documents:
            by_kind.setdefault(doc.get("kind", ""), []).append(doc)
            metadata = doc.get("metadata") or {}
            if doc.get("kind") != "Namespace" and metadata.get("namespace") != namespace:
                self.fail(
                    f"{self.rel(path)}: {doc.get('kind')}/{metadata.get('name')} is not in "
                    f"the namespace {namespace}"
                )
        deployments = by_kind.get("Deployment", [])
        pod_labels = {
            d["metadata"]["name"]: d["spec"]["template"]["metadata"].get("labels") or {} for d in deployments
        }

        def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
            return bool(selector) and all(labels.get(key) == value for key, value in selector.items())

        for deployment in deployments:
            name = deployment["metadata"]["name"]
            spec = deployment["spec"]
            if not selects(spec["selector"].get("matchLabels") or {}, pod_labels[name]):
                self.fail(f"Deployment {name}: its selector does not match its pods' labels")
            for container in spec["template"]["spec"]["containers"]:
                resources = container.get("resources") or {}
                if not (resources.get("requests") or {}).get("memory") or not (
                    resources.get("limits") or {}
                ).get("memory"):
                    self.fail(
                        f"Deployment {name}: container {container['name']} needs memory requests and limits"
                    )
                if container.get("ports") and not container.get("readinessProbe"):
                    self.fail(f"Deployment {name}: container {container['name']} has no readiness probe")
            if int(spec.get("replicas", 1)) >= 2 and not any(
                selects((pdb["spec"].get("selector") or {}).get("matchLabels") or {}, pod_labels[name])
                for pdb in by_kind.get("PodDisruptionBudget", [])
            ):
                self.fail(f"Deployment {name}: {spec['replicas']} replicas but no PodDisruptionBudget")
        services = {}
        for service in by_kind.get("Service", []):
            name = service["metadata"]["name"]
            services[name] = service
            targets = [
                d
                for d in deployments
                if selects(service["spec"].get("selector") or {}, pod_labels[d["metadata"]["name"]])
            ]
            if not targets:
                self.fail(f"Service {name}: selects no Deployment's pods")
                continue
            port_names = {
                port.get("name")
                for d in targets
                for c in d["spec"]["template"]["spec"]["containers"]
                for port in c.get("ports") or []
            }
            for port in service["spec"].get("ports") or []:
                if isinstance(port.get("targetPort"), str) and port["targetPort"] not in port_names:
                    self.fail(f"Service {name}: targetPort {port['targetPort']} is no container port")
        for ingress in by_kind.get("Ingress", []):
            for rule in ingress["spec"].get("rules") or []:
                for path in (rule.get("http") or {}).get("paths") or []:
                    backend = path["backend"]["service"]
                    target = services.get(backend["name"])
                    if target is None:
                        self.fail(f"Ingress {ingress['metadata']['name']}: no Service {backend['name']}")
                    elif backend["port"].get("name") not in [
                        None,
                        *(p.get("name") for p in target["spec"]["ports"]),
                    ]:
                        self.fail(
                            f"Ingress {ingress['metadata']['name']}: Service {backend['name']} "
                            f"has no port {backend['port']['name']}"
                        )
        for policy in by_kind.get("NetworkPolicy", []):
            selector = (policy["spec"].get("podSelector") or {}).get("matchLabels") or {}
            if selector and not any(selects(selector, labels) for labels in pod_labels.values()):
                self.fail(f"NetworkPolicy {policy['metadata']['name']}: selects no Deployment's pods")
        self.check_rasa_files(by_kind.get("ConfigMap", []))

    def check_rasa_files(self, config_maps: list[dict[str, Any]]) -> None:
        files = next(
            (c.get("data") or {} for c in config_maps if c["metadata"]["name"] == "rasa-files"), None
        )
        if files is None:
            self.fail("no ConfigMap rasa-files (the Rasa servers' endpoints.yml, credentials.yml)")
            return
        for key, source in (
            ("endpoints.yml", self.deploy / "endpoints.yml"),
            ("credentials.yml", self.project / "credentials.yml"),
        ):
            if files.get(key) != source.read_text(encoding="utf-8"):
                self.fail(f"ConfigMap rasa-files: {key} is not the same text as {source}")

    # --- the Rasa servers' endpoints ---

    def check_endpoints(self) -> None:
        text = (self.deploy / "endpoints.yml").read_text(encoding="utf-8")
        self.check_event_broker(yaml.safe_load(text) or {})
        lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        needed = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", "\n".join(lines)))
        services = self.compose_document(self.deploy / "docker-compose.yml").get("services") or {}
        for name in sorted(RASA_SERVERS):
            environment = set((services.get(name) or {}).get("environment") or {})
            for variable in sorted(needed - environment):
                self.fail(f"docker-compose.yml: {name} does not set {variable} (endpoints.yml needs it)")
        config = {
            key
            for doc in self.load_all(self.deploy / "k8s" / "configmap.yaml")
            if doc["metadata"]["name"] == "assistant-settings"
            for key in doc.get("data") or {}
        }
        for doc in self.load_all(self.deploy / "k8s" / "rasa.yaml"):
            if doc.get("kind") != "Deployment":
                continue
            for container in doc["spec"]["template"]["spec"]["containers"]:
                given = config | {entry["name"] for entry in container.get("env") or []}
                for variable in sorted(needed - given):
                    self.fail(f"k8s/rasa.yaml: the Rasa server gets no {variable} (endpoints.yml needs it)")

    def check_event_broker(self, endpoints: dict[str, Any]) -> None:
        broker_type = str((endpoints.get("event_broker") or {}).get("type") or "pika")
        if broker_type != MASKING_BROKER:
            self.fail(f"endpoints.yml: the event broker is {broker_type}, not {MASKING_BROKER}: "
                      "events would be published with ID numbers and phone numbers unmasked")
            return
        module, _, name = broker_type.rpartition(".")
        source = self.project / (module.replace(".", "/") + ".py")
        text = source.read_text(encoding="utf-8") if source.is_file() else ""
        if not re.search(rf"^class {name}\(", text, re.M):
            self.fail(f"endpoints.yml: the event broker {broker_type} is not a class of {self.rel(source)}")

    # --- secrets ---

    def check_secrets(self) -> None:
        for path in sorted(p for p in self.deploy.rglob("*") if p.is_file()):
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            for number, line in enumerate(text.splitlines(), 1):
                for literal in literal_secrets(line):
                    self.fail(
                        f"{self.rel(path)}:{number}: a literal secret ({literal}); take it from the "
                        "environment (${VAR:?}) or a Secret (secretKeyRef)"
                    )
                for forbidden in FORBIDDEN_STRINGS:
                    if forbidden in line:
                        self.fail(f"{self.rel(path)}:{number}: '{forbidden}' (a development default)")
        self.check_compose_secrets()
        self.check_k8s_secrets()

    def check_compose_secrets(self) -> None:
        for path in self.compose_files():
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            for service_name, service in (document.get("services") or {}).items():
                service = service or {}
                optional = bool(service.get("profiles"))
                for key, value in (service.get("environment") or {}).items():
                    if (
                        SECRET_NAME.search(key) or URL_CREDENTIALS.search(str(value))
                    ) and not secret_reference(str(value), optional):
                        self.fail(
                            f"{self.rel(path)}: {service_name}: {key} must take its secret from "
                            "the environment: ${VAR:?...}"
                            + (" (or ${VAR:-} in an optional profile)" if optional else "")
                        )
                command = (
                    [str(part) for part in service.get("command") or []]
                    if isinstance(service.get("command"), list)
                    else []
                )
                for flag, value in zip(command, command[1:], strict=False):
                    if flag == "--auth-token" and not secret_reference(value, False):
                        self.fail(f"{self.rel(path)}: {service_name}: --auth-token must be ${{VAR:?...}}")

    def check_k8s_secrets(self) -> None:
        secret_keys: dict[str, set[str]] = {}
        for path, doc in self.k8s_documents():
            if doc.get("kind") != "Secret":
                continue
            values = {**(doc.get("data") or {}), **(doc.get("stringData") or {})}
            secret_keys[doc["metadata"]["name"]] = set(values)
            for key, value in values.items():
                if value not in ("", None):
                    self.fail(
                        f"{self.rel(path)}: Secret {doc['metadata']['name']}: {key} has a value; "
                        "the file is a template without values"
                    )
        for path, doc in self.k8s_documents():
            if doc.get("kind") != "Deployment":
                continue
            name = doc["metadata"]["name"]
            for container in doc["spec"]["template"]["spec"]["containers"]:
                for entry in container.get("env") or []:
                    reference = (entry.get("valueFrom") or {}).get("secretKeyRef")
                    if reference:
                        if reference.get("key") not in secret_keys.get(reference.get("name"), set()):
                            self.fail(
                                f"{self.rel(path)}: {name}: {entry['name']} refers to "
                                f"{reference.get('name')}/{reference.get('key')}, which "
                                "secret.example.yaml does not list"
                            )
                    elif SECRET_NAME.search(entry["name"]):
                        self.fail(
                            f"{self.rel(path)}: {name}: {entry['name']} must come from a Secret "
                            "(valueFrom.secretKeyRef)"
                        )
                arguments = [
                    str(part) for part in (container.get("command") or []) + (container.get("args") or [])
                ]
                for flag, value in zip(arguments, arguments[1:], strict=False):
                    if flag == "--auth-token" and not re.fullmatch(r"\$\([A-Z_][A-Z0-9_]*\)", value):
                        self.fail(f"{self.rel(path)}: {name}: --auth-token must be $(VAR) of a Secret")

    # --- the image ---

    def check_image(self) -> None:
        dockerfile = self.deploy / "Dockerfile"
        instructions = dockerfile_instructions(dockerfile.read_text(encoding="utf-8"))
        ignore = dockerignore_patterns((self.project / ".dockerignore").read_text(encoding="utf-8"))
        froms = [args for keyword, args in instructions if keyword == "FROM"]
        arguments = dict(re.findall(r"^ARG\s+([A-Z_]+)=(\S+)", dockerfile.read_text(encoding="utf-8"), re.M))
        base = (
            re.sub(r"\$\{(\w+)\}", lambda m: arguments.get(m.group(1), m.group(0)), froms[0].split()[0])
            if froms
            else ""
        )
        if not base.startswith("python:3.10-slim"):
            self.fail(f"Dockerfile: the base image is {base or 'missing'}, not python:3.10-slim")
        users = [args for keyword, args in instructions if keyword == "USER"]
        if not users or users[-1].split(":")[0] in ("root", "0"):
            self.fail("Dockerfile: the image must run as a non-root account (USER)")
        for keyword, args in instructions:
            if keyword not in ("COPY", "ADD") or "--from=" in args:
                continue
            sources = [part for part in args.split() if not part.startswith("--")][:-1]
            for source in sources:
                if any(char in source for char in "*?["):
                    continue
                if not (self.project / source).exists():
                    self.fail(f"Dockerfile: COPY {source}: not in the project")
                elif dockerignore_excludes(ignore, source.rstrip("/")):
                    self.fail(f"Dockerfile: COPY {source}: left out by .dockerignore")
        for local_state in (
            ".env",
            ".venv/bin/python",
            ".venv-lint/bin/python",
            "var/tracker.db",
            ".git/HEAD",
            "tests/browser/node_modules/axe-core/axe.min.js",
            "models/notes.txt",
        ):
            if not dockerignore_excludes(ignore, local_state):
                self.fail(f".dockerignore lets {local_state} into the build context")
        for script in sorted(self.deploy.rglob("*.sh")):
            result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
            if result.returncode != 0:
                self.fail(f"{self.rel(script)}: {result.stderr.strip()}")

    def run(self) -> int:
        checks: list[tuple[str, Callable[[], None]]] = [
            ("yamllint", self.check_yamllint),
            ("compose schema", self.check_compose_structure),
            ("compose references", self.check_compose_references),
            ("compose variables", self.check_compose_variables),
            ("nginx render", self.check_nginx_render),
            ("nginx -t", self.check_nginx_syntax),
            ("nginx routes", self.check_nginx_routes),
            ("kubernetes schemas", self.check_k8s_schemas),
            ("kubernetes references", self.check_k8s_references),
            ("rasa endpoints", self.check_endpoints),
            ("secrets", self.check_secrets),
            ("image", self.check_image),
        ]
        for name, check in checks:
            self.report.run(name, check)
        failed = len(self.report.failures)
        print(
            f"lint-deploy: {len(checks)} checks, {failed} problem{'s' if failed != 1 else ''} "
            f"in {self.deploy}",
            flush=True,
        )
        return 1 if failed else 0


def secret_reference(value: str, optional: bool) -> bool:
    """Whether a Compose value takes its secret from the environment.

    ``${VAR:?...}``, or a URL whose password is that; ``${VAR:-}`` too when ``optional``.
    """
    if re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}", value):
        return True
    if optional and re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-)?\}", value):
        return True
    password = URL_CREDENTIALS.search(value)
    return bool(
        password and re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}", password.group("password"))
    )


def literal_secrets(line: str) -> Iterator[str]:
    """Yield what looks like a secret written literally on one line of any file."""
    for match in URL_CREDENTIALS.finditer(line):
        password = match.group("password")
        if not password.startswith(("${", "$(", "<", "...")):
            yield f"password in a URL: {password[:3]}..."
    assignment = re.match(r"^\s*-?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*([:=])\s*(.*?)\s*$", line)
    if not assignment or line.lstrip().startswith("#"):
        return
    key, separator, raw = assignment.groups()
    if not SECRET_NAME.search(key) or key.lower() in SECRET_REFERENCE_KEYS or key.lower().endswith("name"):
        return
    raw = raw.split(" #", 1)[0].strip()
    if raw[:1] in ("'", '"'):
        value = raw[1:].split(raw[0], 1)[0]
    elif separator == ":" and " " in raw:
        return  # prose ("secrets: nothing ..."), not a value
    else:
        value = raw.split(" ", 1)[0]
    if not value or value in ("|", ">", "{}", "[]") or value.startswith(("${", "$(", "$$", "<")):
        return
    if (
        value.lower() in ("true", "false", "yes", "no", "null", "~")
        or value.isdigit()
        or set(value) <= {".", "…"}
    ):
        return
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", value):  # the name of a variable or of a Secret's key
        return
    yield f"{key}: {value[:3]}..."


@dataclass
class Directive:
    """One nginx directive: its name, arguments and (for blocks) the directives inside."""

    name: str
    args: list[str]
    children: list[Directive] = field(default_factory=list)


def parse_nginx(text: str) -> list[Directive]:
    """Parse an nginx configuration into directives (enough for the route checks, not a validator)."""
    tokens = re.findall(r"#[^\n]*|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[{};]|[^\s{};]+", text)
    root: list[Directive] = []
    stack: list[list[Directive]] = [root]
    words: list[str] = []
    for token in tokens:
        if token.startswith("#"):
            continue
        if token in (";", "{"):
            if words:
                directive = Directive(words[0], [w.strip("\"'") for w in words[1:]])
                stack[-1].append(directive)
                if token == "{":
                    stack.append(directive.children)
            words = []
        elif token == "}":
            stack.pop()
        else:
            words.append(token)
    return root


def walk(directives: list[Directive]) -> Iterator[Directive]:
    """Yield every directive, the ones inside blocks too."""
    for directive in directives:
        yield directive
        yield from walk(directive.children)


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in text.splitlines():
        if line.strip().startswith("#") and not current:
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip():
            keyword, _, args = current.strip().partition(" ")
            instructions.append((keyword.upper(), args.strip()))
        current = ""
    return instructions


def dockerignore_patterns(text: str) -> list[tuple[bool, str]]:
    """The .dockerignore patterns as (is an exception, pattern)."""
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            patterns.append((negated, line.lstrip("!").strip("/")))
    return patterns


def dockerignore_excludes(patterns: list[tuple[bool, str]], path: str) -> bool:
    """Whether the build context leaves ``path`` out.

    The last matching pattern decides; a pattern matching a parent folder matches the path too.
    """
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for negated, pattern in patterns:
        for candidate in candidates:
            if pattern.startswith("**/"):
                tail = pattern[3:]
                hit = any(
                    fnmatch.fnmatchcase("/".join(candidate.split("/")[i:]), tail)
                    for i in range(len(candidate.split("/")))
                )
            else:
                hit = fnmatch.fnmatchcase(candidate, pattern) and candidate.count("/") == pattern.count("/")
            if hit:
                excluded = not negated
                break
    return excluded


def main(argv: Optional[list[str]] = None) -> int:
    """Check the deployment files; return the exit status."""
    parser = argparse.ArgumentParser(description="Check the deployment files (deploy/).")
    parser.add_argument("--project", type=Path, required=True, help="the project's folder")
    parser.add_argument("--deploy", type=Path, required=True, help="the deployment files to check")
    parser.add_argument(
        "--compose-schema", type=Path, required=True, help="the Compose specification's schema"
    )
    args = parser.parse_args(argv)
    return Lint(args.project.resolve(), args.deploy.resolve(), args.compose_schema).run()


if __name__ == "__main__":
    sys.exit(main())
