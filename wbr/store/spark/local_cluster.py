"""A standalone Spark on this machine, from the `pyspark` package alone.

One master, `workers` worker processes (one core each) and a Spark Connect
server whose application runs its executors on those workers: the shape of a
real cluster, small enough for a laptop or CI. pip's pyspark ships the jars
and `bin/spark-class`, so nothing is downloaded; Java 17 must be on PATH (or
JAVA_HOME).

    python -m wbr.store.spark.local_cluster /tmp/spark   # prints the URL, Ctrl-C stops it
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
# Small on purpose: the tests and CI share a 2-core machine with other work.
WORKER_MEMORY = "1g"
DRIVER_MEMORY = "1g"
EXECUTOR_MEMORY = "1g"
DAEMON_MEMORY = "256m"  # the master's and workers' own JVMs
SHUFFLE_PARTITIONS = 4  # Spark's 200 default costs seconds per query on 2 cores
START_TIMEOUT_SECONDS = 240.0  # JVM start-ups on a loaded 2-core machine
STOP_TIMEOUT_SECONDS = 30.0
CONNECT_SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


class SparkStartError(RuntimeError):
    pass


def spark_home() -> Path:
    """The Spark inside the installed pyspark package."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def java_available() -> bool:
    return bool(os.environ.get("JAVA_HOME")) or shutil.which("java") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


@dataclass
class LocalSpark:
    """A running local cluster; `stop()` ends every process it started."""

    workdir: Path
    connect_port: int
    master_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The raw store URL for wbr (`WBR_RAW_DATABASE_URL`)."""
        return f"spark+connect://{HOST}:{self.connect_port}"

    def stop(self) -> None:
        # The Connect server first (its executors go with it), the master last.
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in reversed(self.processes):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def _environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOCAL_IP=HOST,
        SPARK_DAEMON_MEMORY=DAEMON_MEMORY,
        SPARK_LOG_DIR=str(workdir / "logs"),
        SPARK_WORKER_DIR=str(workdir / "work"),
        PYSPARK_PYTHON=sys.executable,
    )
    return env


def _launch(args: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        # spark-class execs java, so this pid is the JVM's and SIGTERM reaches it.
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)


def _wait_for(
    check: object, what: str, log: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    assert callable(check)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not check():
        dead = [p for p in processes if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            reason = "a process exited" if dead else f"not ready after {START_TIMEOUT_SECONDS}s"
            raise SparkStartError(f"Spark {what}: {reason}; {log}:\n{tail}")
        time.sleep(0.5)


def start_local_spark(workdir: Path, workers: int = 2) -> LocalSpark:
    """Start a master, `workers` workers and a Spark Connect server; wait until all serve."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "logs").mkdir(exist_ok=True)
    env = _environment(workdir)
    spark_class = str(spark_home() / "bin" / "spark-class")
    master_port, connect_port = _free_port(), _free_port()
    master_url = f"spark://{HOST}:{master_port}"
    cluster = LocalSpark(workdir, connect_port, master_url)
    try:
        master_log = workdir / "logs" / "master.log"
        master = ["--host", HOST, "--port", str(master_port), "--webui-port", "0"]
        args = [spark_class, "org.apache.spark.deploy.master.Master", *master]
        cluster.processes.append(_launch(args, master_log, env, workdir))
        _wait_for(lambda: _listening(master_port), "master", master_log, cluster.processes)
        for number in range(workers):
            worker = ["--cores", "1", "--memory", WORKER_MEMORY, "--webui-port", "0"]
            worker += ["--work-dir", str(workdir / f"work{number}"), master_url]
            log = workdir / "logs" / f"worker{number}.log"
            args = [spark_class, "org.apache.spark.deploy.worker.Worker", *worker]
            cluster.processes.append(_launch(args, log, env, workdir))

        def registered() -> bool:
            return master_log.read_text(errors="replace").count("Registering worker") >= workers

        _wait_for(registered, "workers", master_log, cluster.processes)
        connect_log = workdir / "logs" / "connect.log"
        # Without the daemons' small heap: spark-class gives it to spark-submit too.
        driver_env = {k: v for k, v in env.items() if k != "SPARK_DAEMON_MEMORY"}
        args = _connect_server_args(master_url, connect_port, workers, workdir)
        cluster.processes.append(_launch(args, connect_log, driver_env, workdir))

        def serving() -> bool:
            text = connect_log.read_text(errors="replace")
            executors = text.count("Registered executor")
            return _listening(connect_port) and executors >= workers

        _wait_for(serving, "Connect server", connect_log, cluster.processes)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _connect_server_args(master_url: str, port: int, workers: int, workdir: Path) -> list[str]:
    settings = {
        "spark.connect.grpc.binding.port": str(port),
        "spark.connect.grpc.binding.address": HOST,
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.executor.cores": "1",
        "spark.cores.max": str(workers),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": str(SHUFFLE_PARTITIONS),
        "spark.sql.session.timeZone": "UTC",
        # No Hive metastore (pip's pyspark would start an embedded Derby one):
        # tables and views live as long as the server.
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": str(workdir / "warehouse"),
    }
    args = [str(spark_home() / "bin" / "spark-submit"), "--class", CONNECT_SERVER_CLASS]
    args += ["--name", "wbr-spark-connect", "--master", master_url]
    args += ["--driver-memory", DRIVER_MEMORY]
    for key, value in settings.items():
        args += ["--conf", f"{key}={value}"]
    return [*args, "spark-internal"]


def main() -> None:
    workdir = Path(sys.argv[1] if len(sys.argv) > 1 else ".wbr/spark").resolve()
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    cluster = start_local_spark(workdir, workers)
    print(f"WBR_RAW_DATABASE_URL={cluster.url}", flush=True)

    def _stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    # SIGTERM (kill, a CI runner) and SIGINT (Ctrl-C; ignored in a background job
    # of a script, so not enough alone) both stop the JVMs this process started.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        signal.pause()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
