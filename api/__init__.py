"""The edges of Liên thông: the command line now; the HTTP API and web pages later."""
