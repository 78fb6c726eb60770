"""The guarantee fund's pure domain: facts from elsewhere, salary payments, the ledger."""
