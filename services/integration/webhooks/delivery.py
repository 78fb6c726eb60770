"""The delivery workers: one thread per webhook, its events one at a time, in order.

A failure (no answer, or a status other than 2xx) is retried after an exponential back-off
shortened by a random jitter; after `max_attempts` failures in a row on one event the webhook
is parked (WebhookParked) and waits for a replay (WebhookResumed), which restarts it from the
position it names. Workers find webhooks by following the `webhook` category of the log.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import httpx

from services.integration.cloud import encode
from services.integration.domain.webhook import Park, Webhook, webhook_decider
from services.integration.feed import store_filter
from services.integration.webhooks import signing
from services.integration.webhooks.config import WebhookConfig
from services.integration.webhooks.health import SubscriptionsHealth, summary
from services.integration.webhooks.progress import Progress, ProgressStore
from services.integration.webhooks.streams import (
    CATEGORY,
    delivery_filter,
    load_webhook,
    webhook_stream,
)
from services.integration.webhooks.urls import UrlNotAllowed, check_url
from shared.clock import Clock
from shared.events.base import Context
from shared.eventstore.handling import handle
from shared.eventstore.port import START, EventFilter, EventStore, Position, RecordedEvent

log = logging.getLogger(__name__)
ACTOR = "system:webhooks"


class DeliveryFailed(Exception):
    pass


class Dispatcher:
    name = "webhook-dispatcher"

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        config: WebhookConfig,
        progress: ProgressStore,
        *,
        post: Callable[[str, bytes, dict[str, str]], int] | None = None,
        sleep_jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.progress = progress
        self.health = SubscriptionsHealth(store, progress)
        self._post = post or self._http_post
        self._jitter = sleep_jitter
        self._stopping = threading.Event()
        self._workers: dict[str, threading.Thread] = {}
        self._discovered_upto: Position = START
        self._discoverer: threading.Thread | None = None
        self._client: httpx.Client | None = None
        self.running = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self.running = True
        self._client = httpx.Client(timeout=self.config.timeout, follow_redirects=False)
        self._discoverer = threading.Thread(target=self._discover, name="webhooks", daemon=True)
        self._discoverer.start()

    def follow(self) -> None:
        """Another process delivers: this one only reads the progress for status."""

    def stop(self) -> None:
        self._stopping.set()
        for thread in [self._discoverer, *self._workers.values()]:
            if thread is not None:
                thread.join(timeout=self.config.timeout + 5)
        if self._client is not None:
            self._client.close()
        self.progress.close()

    # -- finding webhooks ----------------------------------------------------------------------

    def _discover(self) -> None:
        only_webhooks = EventFilter(categories=(CATEGORY,))
        while not self._stopping.is_set():
            try:
                head = self.store.head()
                batch = self.store.read_all(self._discovered_upto, only_webhooks, 500)
                for recorded in batch:
                    webhook_id = recorded.stream.removeprefix(f"{CATEGORY}-")
                    if webhook_id not in self._workers:
                        self._spawn(webhook_id)
                    self._discovered_upto = recorded.position
                if len(batch) < 500:  # scanned to the head: never scan that stretch again
                    self._discovered_upto = max(self._discovered_upto, head)
            except Exception:  # the store went away for a moment: look again later
                log.exception("webhook discovery failed")
            self._stopping.wait(self.config.poll_interval)

    def _spawn(self, webhook_id: str) -> None:
        worker = threading.Thread(
            target=self._run, args=(webhook_id,), name=f"webhook-{webhook_id}", daemon=True
        )
        self._workers[webhook_id] = worker
        worker.start()

    # -- one webhook ---------------------------------------------------------------------------

    def _run(self, webhook_id: str) -> None:
        while not self._stopping.is_set():
            try:
                idle = self._step(webhook_id)
            except Exception:
                log.exception("webhook %s: worker step failed", webhook_id)
                idle = True
            if idle:
                self._stopping.wait(self.config.poll_interval)

    def _step(self, webhook_id: str) -> bool:
        """Delivers what it can; True when there was nothing to do."""
        webhook = load_webhook(self.store, webhook_id)
        if webhook is None:
            return True
        progress = self.progress.get(webhook_id) or Progress(
            webhook_id, webhook.subscribed.after_position
        )
        if webhook.resumes > progress.resumes_applied and webhook.resumed_after is not None:
            progress = Progress(webhook_id, webhook.resumed_after, webhook.resumes, 0,
                                progress.delivered, None)  # fmt: skip
            self.progress.save(progress)
        if webhook.parked is not None:
            return True
        narrowed = delivery_filter(self.store, webhook)
        if narrowed is None:
            return True
        head = self.store.head()
        events = self.store.read_all(
            progress.after_position, store_filter(narrowed), self.config.batch
        )
        for recorded in events:
            if self._stopping.is_set():
                return False
            if not narrowed.allows(recorded.category, recorded.type):
                continue
            progress = self._deliver_one(webhook, recorded, progress, narrowed.scope.personal_data)
            if progress.attempts:
                return False  # it failed: the wait was made; try again (or it is parked)
        if not progress.attempts:
            # Up to the head when the read was not full: a filtered scan never repeats.
            last = events[-1].position if len(events) == self.config.batch else head
            if last > progress.after_position:
                progress = replace(progress, after_position=last)
                self.progress.save(progress)
        return not events

    def _deliver_one(
        self, webhook: Webhook, recorded: RecordedEvent, progress: Progress, personal_data: bool
    ) -> Progress:
        subscribed = webhook.subscribed
        body = encode(recorded, personal_data)
        message_id = str(recorded.id)
        headers = signing.headers(subscribed.secret, message_id, int(time.time()), body)
        try:
            check_url(subscribed.url, self.config.allowed_hosts)
            status = self._post(subscribed.url, body, headers)
            if not 200 <= status < 300:
                raise DeliveryFailed(f"the receiver answered {status}")
        except (httpx.HTTPError, DeliveryFailed, UrlNotAllowed) as error:
            return self._failed(webhook, recorded, progress, f"{type(error).__name__}: {error}")
        done = Progress(progress.webhook_id, recorded.position, progress.resumes_applied, 0,
                        progress.delivered + 1, None)  # fmt: skip
        self.progress.save(done)
        return done

    def _failed(
        self, webhook: Webhook, recorded: RecordedEvent, progress: Progress, error: str
    ) -> Progress:
        attempts = progress.attempts + 1
        failed = replace(progress, attempts=attempts, last_error=error)
        self.progress.save(failed)
        if attempts >= self.config.max_attempts:
            context = Context.new(ACTOR, self.clock.now())
            park = Park(recorded.position, attempts, error)
            handle(self.store, webhook_stream(webhook.subscribed.webhook_id), webhook_decider,
                   park, context)  # fmt: skip
            log.warning("webhook %s parked at %s", webhook.subscribed.webhook_id, recorded.position)
            return failed
        base = self.config.backoff.delay(attempts - 1)
        self._stopping.wait(base * (1 - self.config.jitter * self._jitter()))
        return failed

    def _http_post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        if self._client is None:
            raise DeliveryFailed("the dispatcher is not started")
        return self._client.post(url, content=body, headers=headers).status_code

    # -- status --------------------------------------------------------------------------------

    def status(self) -> dict[str, object]:
        """Each subscription's position, lag, state and last error (`health`). A partner's
        receiver failing or parked does not make the service unready: it stays caught up."""
        return {
            "name": self.name,
            "caught_up": True,
            "delivering": self.running,
            **summary(self.health.report()),
        }
