"""The integration service's pure rules: what a caller may read, webhooks' lifecycle."""
