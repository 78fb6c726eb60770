"""Webhooks: subscriptions as events, ordered signed deliveries, parking and replay."""
