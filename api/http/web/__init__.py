"""The web pages: server-rendered (Jinja2) from the same app as the API, Vietnamese first."""
