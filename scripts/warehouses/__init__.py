"""Running the project on warehouses other than embedded DuckDB: throwaway servers, loaders and the equality check.

- `postgres`: start/stop a throwaway PostgreSQL server (tests, CI) and land raw files into it with COPY.
- `spark`: the local Spark session of the `spark` target (metastore and tables in `$MQL_SPARK_HOME`) and the Spark
  loader.
- `equality`: build the same fixture on DuckDB and another engine (PostgreSQL, Spark) and compare every mart row
  by row.
"""
