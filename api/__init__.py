"""The edges of Liên thông, over the ledger (ledger/) and its rules (domain/):

- `api.http`: the HTTP server — the JSON API (`/v1`) and the web pages, one FastAPI app;
- `api.cli`: the `lienthong` command line;
- `api.client`: the Python client of the JSON API, which imports nothing of the server;
- shared by the edges: `api.settings` (every LIENTHONG_* setting, the only reader of the
  environment), `api.bootstrap` (how the ledger, read models and stores are opened) and
  `api.texts` (the words both edges print, Vietnamese first).

The HTTP server and the command line do not import each other (pyproject.toml's contracts).
"""
