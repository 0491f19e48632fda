"""Side stores kept beside the log in the ledger's own database: the encrypted applicant records,
the dossiers' files, API tokens, page sessions and browser-key enrolments. None of them is part of
the log: erasing an applicant's data leaves the log whole."""
