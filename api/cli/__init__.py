"""The `lienthong` command line (main.py, the typer app; entry point api.cli.main:main): thin
commands that parse, make one ledger call and render, grouped by area — the log (log.py), the
read models (views.py), deadlines (sla.py), tokens, imports, files, serving and the remote mode
(serve.py). What every command shares is shell.py: the options, opening the ledger, the exit
codes. It never imports the HTTP server: `lienthong serve` hands uvicorn the app by name.
"""
