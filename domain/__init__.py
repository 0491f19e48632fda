"""The rules of Liên thông: aggregates, registry, custody, errors. No I/O, no encoding, no crypto."""
