"""The bundled demo: three years of an online retailer's flywheel, as CSV files.

`wbr.demo.generate.generate_demo_data(out_dir)` writes the data that the
repository's `metrics.yaml` reads; `docs/demo.md` tells its story. This package
imports nothing eagerly, so that `python -m wbr.demo.generate` runs cleanly.
"""
