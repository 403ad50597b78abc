"""A local, HTTPS, multi-version Salesforce API server that unmodified clients use.

The package reads as the request's path through it:

- ``ids``      — 15/18-character record ids with the checksum suffix.
- ``schema/``  — object and field definitions: built-ins plus a YAML file.
- ``store/``   — SQLite storage: one table per object, validation, system fields.
- ``soql/``    — the SOQL subset: lark grammar → AST → SQL over the store's tables.
- ``api/``     — Starlette routes: auth, REST, query, composite, limits.
- ``server``   — TLS (a local ``trustme`` CA), uvicorn, the start-up JSON line.
"""

__version__ = "0.1.0"
