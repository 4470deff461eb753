"""The production profile on one machine: ``make run PROFILE=production``.

The same parts as the embedded profile, but shared and redundant as in
``deploy/``: conversations in PostgreSQL (Rasa's SQL tracker store), the
per-conversation locks in Redis, every event published to RabbitMQ (Rasa's
``pika`` broker), ``RASA_PROCESSES`` Rasa servers behind nginx, and the
reference portal on PostgreSQL. The stores are the ones the settings name
(``TRACKER_STORE_URL``, ``LOCK_STORE_URL``, ``EVENT_BROKER_URL``), by default
the services on this machine.

nginx listens where the Rasa REST channel is expected (``BALANCER_PORT``, by
default ``RASA_PORT``), with ``deploy/nginx.conf.template`` rendered for local
ports into ``DATA_DIR/nginx/`` (its pid, temporary files and logs there too, so
it runs without root); the Rasa servers listen on the ports after it.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import string
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from sqlalchemy.engine import URL, make_url

from bot.production_secrets import check_production_secrets
from bot.settings import PROJECT_DIR, Settings, rasa_ports
from bot.supervisor import Part

#: The reference portal's database on the tracker store's server, unless PORTAL_DATABASE_URL is set.
PORTAL_DATABASE = "assistant_portal"
#: Prefix of the lock store's keys in Redis (as in deploy/endpoints.yml).
LOCK_KEY_PREFIX = "assistant"
NGINX_TEMPLATE = PROJECT_DIR / "deploy" / "nginx.conf.template"
#: Local access log: which Rasa server (or web pages) answered each request.
NGINX_LOG_FORMAT = ("log_format upstreams '$remote_addr [$time_local] \"$request\" $status "
                    "upstream=$upstream_addr';\n    access_log /dev/stdout upstreams;")


class ProductionError(RuntimeError):
    """The production profile cannot start (a store is unreachable, nginx is missing...)."""


def portal_database_url(settings: Settings) -> str:
    """The portal's database: ``PORTAL_DATABASE_URL``, else ``assistant_portal`` by the tracker's."""
    if settings.portal_database_url:
        return settings.portal_database_url
    url = make_url(settings.tracker_store_url).set(drivername="postgresql+psycopg2", database=PORTAL_DATABASE)
    return url.render_as_string(hide_password=False)


def create_database_if_missing(url: str) -> bool:
    """Create the PostgreSQL database a URL names, unless it exists.

    Args:
        url: A SQLAlchemy URL of a PostgreSQL database; its user must be allowed to create databases.

    Returns:
        Whether the database was created.

    Raises:
        ProductionError: The server cannot be reached, or the database cannot be created.

    """
    import psycopg2
    from psycopg2 import sql

    parsed = make_url(url)
    if not parsed.get_backend_name().startswith("postgres") or not parsed.database:
        raise ProductionError(f"{parsed.render_as_string()} is not a PostgreSQL database URL")
    try:
        connection = psycopg2.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                      user=parsed.username, password=parsed.password,
                                      dbname="postgres", connect_timeout=5, **parsed.query)
    except psycopg2.Error as error:
        raise ProductionError(f"Cannot reach PostgreSQL at {parsed.host}:{parsed.port or 5432}: "
                              f"{str(error).strip()}") from error
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
            if cursor.fetchone() is not None:
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))
            return True
    except psycopg2.Error as error:
        raise ProductionError(f"Cannot create the database {parsed.database}: "
                              f"{str(error).strip()}") from error
    finally:
        connection.close()


def prepare_databases(settings: Settings) -> None:
    """Create the tracker store's database and the reference portal's, when missing."""
    urls = [settings.tracker_store_url]
    if settings.runs_reference_portal:
        urls.append(portal_database_url(settings))
    for url in urls:
        if create_database_if_missing(url):
            print(f"Created the database {make_url(url).database}.", flush=True)


def check_reachable(name: str, url: str, default_port: int) -> None:
    """Raise :class:`ProductionError` when nothing accepts connections at a store's host and port."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except OSError as error:
        raise ProductionError(f"Cannot reach {name} at {host}:{port} ({error}); "
                              f"see README.md, \"Production profile\".") from error


def tracker_store_config(url: str) -> dict[str, Any]:
    """Rasa's SQL tracker store on the PostgreSQL database ``url`` names."""
    parsed: URL = make_url(url)
    config: dict[str, Any] = {"type": "SQL", "dialect": "postgresql", "url": parsed.host or "127.0.0.1",
                              "port": parsed.port or 5432, "db": parsed.database}
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    if parsed.query:
        config["query"] = dict(parsed.query)
    return config


def lock_store_config(url: str) -> dict[str, Any]:
    """Rasa's Redis lock store at ``redis://[user:password@]host:port/db`` (``rediss://``: TLS)."""
    parsed = urlsplit(url)
    path = parsed.path.strip("/")
    config: dict[str, Any] = {"type": "redis", "url": parsed.hostname or "127.0.0.1",
                              "port": parsed.port or 6379, "db": int(path) if path else 0,
                              "key_prefix": LOCK_KEY_PREFIX}
    if parsed.username:
        config["username"] = unquote(parsed.username)
    if parsed.password:
        config["password"] = unquote(parsed.password)
    if parsed.scheme == "rediss":
        config["use_ssl"] = True
    return config


def event_broker_config(url: str, queue: str) -> dict[str, Any]:
    """Rasa's pika broker at ``amqp://user:password@host:port/vhost``, publishing to ``queue``.

    The broker is :class:`bot.brokers.MaskingPikaEventBroker` (Rasa imports the
    ``type`` by its module path): the pika broker publishing every event with ID
    numbers and mobile numbers masked. Rasa connects with the URL itself
    (keeping its virtual host) when the user and password it is given appear in
    it as written, so they are passed as written.
    """
    parsed = urlsplit(url)
    return {"type": "bot.brokers.MaskingPikaEventBroker", "url": url, "port": parsed.port or 5672,
            "username": parsed.username or "guest", "password": parsed.password or "guest",
            "queues": [queue]}


def write_production_endpoints(settings: Settings) -> Path:
    """Write the Rasa servers' endpoints file of this run (only its owner may read it: passwords).

    Returns:
        The path of the written file (under the data folder).

    """
    from bot.assistant import base_endpoints

    endpoints = base_endpoints(settings)
    endpoints["tracker_store"] = tracker_store_config(settings.tracker_store_url)
    endpoints["lock_store"] = lock_store_config(settings.lock_store_url)
    endpoints["event_broker"] = event_broker_config(settings.event_broker_url, settings.event_queue)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "endpoints.production.yml"
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


def nginx_prefix(settings: Settings) -> Path:
    """The prefix folder of nginx: its config, pid file and temporary files."""
    return settings.data_dir / "nginx"


def write_nginx_config(settings: Settings) -> Path:
    """Render ``deploy/nginx.conf.template`` for this machine's ports into ``DATA_DIR/nginx/nginx.conf``.

    Returns:
        The written file.

    """
    upstream = "max_fails=2 fail_timeout=10s;"
    values = {
        "LISTEN_PORT": f"{settings.host}:{settings.entry_port}",
        "RASA_UPSTREAMS": " ".join(f"server {settings.host}:{port} {upstream}"
                                   for port in rasa_ports(settings)),
        "WEB_UPSTREAMS": f"server {settings.host}:{settings.web_port} {upstream}",
        "OPERATOR_ACCESS": "allow 127.0.0.1; allow ::1; deny all;",
    }
    text = string.Template(NGINX_TEMPLATE.read_text(encoding="utf-8")).safe_substitute(values)
    text = text.replace("access_log /dev/stdout;", NGINX_LOG_FORMAT, 1)
    prefix = nginx_prefix(settings)
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def find_nginx() -> str:
    """The nginx program (on the PATH, or /usr/sbin/nginx)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise ProductionError("nginx is not installed (apt-get install nginx-light, or nginx).")
    return found


#: Seconds before a Rasa server that exited is started again (the others answer meanwhile).
RASA_RESTART_SECONDS = 3.0


def rasa_parts(settings: Settings, model: Path, endpoints: Path) -> list[Part]:
    """One part per Rasa server process, each on its own port with the shared endpoints.

    A server that exits is started again after :data:`RASA_RESTART_SECONDS`
    with the model operators deployed last (the one it served, unless a deploy
    came since), while nginx sends every message to the others.
    """
    from bot.assistant import model_to_serve, rasa_command, rasa_environment, rasa_status_url

    parts = []
    for number, port in enumerate(rasa_ports(settings), start=1):
        def command_now(port: int = port) -> list[str]:
            return rasa_command(settings, port, model_to_serve(settings, model), endpoints)

        parts.append(Part(name=f"Rasa server {number}",
                          command=rasa_command(settings, port, model, endpoints),
                          env=rasa_environment(settings),
                          health_url=rasa_status_url(settings, port), public_url=f"http://{settings.host}:{port}",
                          log_path=settings.data_dir / "logs" / f"rasa-{number}.log",
                          restart_after=RASA_RESTART_SECONDS, restart_command=command_now))
    return parts


def production_parts(settings: Settings, model: Path) -> tuple[list[Part], Settings]:
    """Prepare the stores and files of the production profile and return its parts.

    Args:
        settings: The settings (``profile`` production).
        model: The model every Rasa server starts with.

    Returns:
        The parts in the order they start, and the settings the channels use
        (``rasa_port``: nginx's port).

    Raises:
        ProductionError: A store is unreachable, a database cannot be created, nginx is missing.

    """
    from bot.assistant import build_parts

    if settings.rasa_processes < 1:
        raise ProductionError("RASA_PROCESSES must be 1 or more")
    problems = check_production_secrets(settings)
    if problems:
        raise ProductionError("the secrets are not set for production: " + "; ".join(problems))
    nginx = find_nginx()
    check_reachable("Redis (LOCK_STORE_URL)", settings.lock_store_url, 6379)
    check_reachable("RabbitMQ (EVENT_BROKER_URL)", settings.event_broker_url, 5672)
    prepare_databases(settings)
    endpoints = write_production_endpoints(settings)
    write_nginx_config(settings)
    portal_db = portal_database_url(settings) if settings.runs_reference_portal else ""
    # The channels (web pages, Telegram, the terminal chat) talk to nginx.
    public = dataclasses.replace(settings, rasa_port=settings.entry_port, portal_database_url=portal_db)
    parts: list[Part] = []
    for part in build_parts(public, model, endpoints):
        if part.name == "portal":
            part.env["PORTAL_DATABASE_URL"] = portal_db
            parts.append(part)
        elif part.name == "web pages":  # the operator console deploys to every Rasa server
            part.env["RASA_API_URLS"] = ",".join(settings.rasa_server_urls)
            parts.append(part)
        elif part.name == "Rasa server":
            parts += rasa_parts(settings, model, endpoints)
            parts.append(Part(
                name="load balancer (nginx)",
                command=[nginx, "-e", "stderr", "-p", str(nginx_prefix(settings)), "-c", "nginx.conf",
                         "-g", "daemon off;"],
                health_url=f"http://{settings.host}:{settings.entry_port}/healthz",
                public_url=f"{public.rasa_url}/webhooks/rest/webhook",
                log_path=settings.data_dir / "logs" / "nginx.log",
            ))
        else:
            parts.append(part)
    return parts, public


def describe(settings: Settings) -> str:
    """One line naming the stores of the production profile (no passwords), for the start-up output."""
    tracker = make_url(settings.tracker_store_url).render_as_string(hide_password=True)
    lock, broker = urlsplit(settings.lock_store_url), urlsplit(settings.event_broker_url)
    return (f"Production profile: {settings.rasa_processes} Rasa servers behind nginx on port "
            f"{settings.entry_port}; conversations in {tracker}, locks in Redis at "
            f"{lock.hostname}:{lock.port or 6379}, events to RabbitMQ at {broker.hostname}:"
            f"{broker.port or 5672} (queue {settings.event_queue}).")
