"""Prometheus metrics of ``customs serve``: requests, latency, messages by status, findings by
rule. With several worker processes the values are shared through prometheus-client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set up by ``customs serve --workers``)."""

from __future__ import annotations

import os
from collections import Counter as Tallied

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from customs_engine.core.response import Response

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Tally:
    """What the metrics count of a run's responses, counted as they are written (a response
    writer): messages by status, findings by rule (a handful of numbers, whatever the run's
    size); :meth:`Metrics.observe_responses` adds them once the run is stored."""

    def __init__(self) -> None:
        self.statuses: Tallied[str] = Tallied()
        self.rules: Tallied[str] = Tallied()

    def write(self, response: Response) -> None:
        self.statuses[response.status] += 1
        for finding in response.findings:
            self.rules[finding.rule] += 1

    def close(self) -> None:
        pass


class Metrics:
    def __init__(self) -> None:
        #: one registry per application (tests build many applications in one process)
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "customs_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "customs_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.messages = Counter(
            "customs_messages", "Messages validated, by status", ["status"], registry=self.registry
        )
        self.findings = Counter(
            "customs_findings", "Findings reported, by rule", ["rule"], registry=self.registry
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def observe_responses(self, tally: Tally) -> None:
        for status, messages in tally.statuses.items():
            self.messages.labels(status).inc(messages)
        for rule, findings in tally.rules.items():
            self.findings.labels(rule).inc(findings)

    def render(self) -> tuple[bytes, str]:
        if os.environ.get(MULTIPROC_ENV):
            shared = CollectorRegistry()
            MultiProcessCollector(shared)
            return generate_latest(shared), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
