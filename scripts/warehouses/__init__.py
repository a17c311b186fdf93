"""Running the project on warehouses other than embedded DuckDB: throwaway servers, loaders and the equality check.

- `postgres`: start/stop a throwaway PostgreSQL server (tests, CI) and land raw files into it with COPY.
- `equality`: build the same fixture on DuckDB and another engine and compare every mart row by row.
"""
