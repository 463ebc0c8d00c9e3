"""Apache Spark SQL as the raw store, reached through Spark Connect.

`dbapi.py` is a small PEP 249 driver over a Spark Connect session and
`dialect.py` the SQLAlchemy dialect that uses it (`spark+connect://host:15002`),
so the compute layer's SQLAlchemy Core queries run on Spark unchanged; only
aggregates come back. `local_cluster.py` starts a standalone Spark (a master,
worker processes and a Spark Connect server) from the `pyspark` package, for
the tests and benchmarks. docs/spark.md says why Spark Connect and not the
Thrift server.
"""
