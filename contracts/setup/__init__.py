"""Setting a contract up from its pages: the parties' contacts, the
governance board and the documents (``/contracts/<pk>/setup/``), over the
contracts services (board seats, contacts, uploads) and the removals here."""
