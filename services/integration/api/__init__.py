"""The integration service's routers."""

from services.integration.api import feed, scopes, webhooks
from services.integration.api.common import IntegrationRuntime

# scopes before feed: `/v1/events/scopes/…` is not an event page.
ROUTERS = (scopes.router, feed.router, webhooks.router)

__all__ = ["ROUTERS", "IntegrationRuntime"]
