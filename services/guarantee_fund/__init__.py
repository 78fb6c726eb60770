"""The guarantee fund: payment runs, the decision of who funds each salary, the ledger."""
