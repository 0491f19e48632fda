"""What makes Liên thông a ledger: canonical statements, signatures, recording, audit."""
