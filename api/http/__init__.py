"""The HTTP server: one FastAPI app (app.py, the composition root) serving the JSON API under /v1
(routes/) and the web pages (web/, templates/, static/).

What a process holds is services.py; who may do what, access.py; the write use cases both the
routes and the pages call, writing.py (applicant records: applicants.py; the citizen's lookup:
lookup.py); the wire models, schemas/; refusals as RFC 9457 problems, problems.py; and the
middleware: body limits (limits.py), security headers (headers.py), forwarded addresses
(forwarded.py). Web pages do not import the JSON routes.
"""
