"""The structured customs response and the records plugins contribute to it.

Field names and value sets are stable API. Money is serialised as a string with two decimals,
quantities as plain strings; ``status`` is derived from the findings, never set by hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_serializer,
    model_validator,
)

from customs_engine.core.money import money

Outcome = Literal["reject", "hold", "query", "warn", "info"]
Status = Literal["accepted", "query", "hold", "rejected"]
MessageType = Literal["bill_of_entry", "manifest", "unknown"]

#: outcome → the status it forces, worst first. warn/info leave a message accepted.
_STATUS_BY_OUTCOME: tuple[tuple[str, Status], ...] = (
    ("reject", "rejected"),
    ("hold", "hold"),
    ("query", "query"),
)


def quantity(value: Decimal) -> str:
    """A quantity without exponent or trailing zeros beyond what was given."""
    text = format(value, "f")
    return text


def _not_float(value: Any) -> Any:
    """Money and quantities are exact: a float has already lost the paise (0.1 + 0.2)."""
    if isinstance(value, float):
        raise ValueError(f"use Decimal, int or str, not float ({value!r})")
    return value


#: an exact amount a plugin or the ledger gives (never a float)
Exact = Annotated[Decimal, BeforeValidator(_not_float)]
Money = Annotated[Exact, PlainSerializer(money, return_type=str)]
Quantity = Annotated[Exact, PlainSerializer(quantity, return_type=str)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Finding(_Record):
    """One rule's verdict on a message or an item."""

    rule: str
    scheme: str
    outcome: Outcome
    item: int | None = None
    field: str | None = None
    message: str
    reference: str


class Fee(_Record):
    """A charge the message attracts (fees are not findings)."""

    rule: str
    scheme: str
    kind: str
    amount: Money
    currency: str = "INR"
    item: int | None = None
    basis: str


class AuthorisationClaim(_Record):
    """What an item needs from an authorisation's balance; the core ledger checks and debits it.

    ``shortfall_rule`` names the plugin's rule (e.g. IMS-BAL-001) that the core reports, with the
    outcome ``reject``, when the balance cannot cover the claim. There is never a partial debit.
    """

    scheme: str
    number: str
    item: int
    quantity: Exact = Decimal(0)
    unit: str | None = None
    value_inr: Exact = Decimal(0)
    shortfall_rule: str
    field: str | None = None


class AuthorisationUse(_Record):
    scheme: str
    number: str
    item: int
    debited_quantity: Quantity
    debited_value: Money
    remaining_quantity: Quantity | None
    remaining_value: Money | None


class Credit(_Record):
    """What an amendment or a cancellation credited back to an account (a reversal entry).

    ``scheme`` is the ledger's account key (``IMS``, ``BOND``: upper case, as the ledger keys
    its balances); the response writes it in lower case, as it writes ``authorisations[].scheme``
    (``ims``, ``bond``), so one account reads the same in both lists.
    """

    scheme: str = Field(
        description="The account: a scheme (`ims`), or `bond` for the goods a warehousing Bill "
        "of Entry holds in bond"
    )
    number: str = Field(
        description="The authorisation's number; for `bond`, the warehousing Bill of Entry's "
        "message id and the HS code (`BE-1/72085110`)"
    )
    item: int = Field(description="The line of the replaced or cancelled document")
    quantity: Quantity = Field(
        description="What goes back to the account, in `unit`. A bond's is negative: its "
        "opening is reversed, so those goods leave the bond"
    )
    unit: str | None = None
    value_inr: Money = Field(description="What goes back to the account's value limit")

    @field_serializer("scheme", when_used="json")
    def _scheme_as_written(self, scheme: str) -> str:
        return scheme.lower()

    def text(self) -> str:
        """``TESTAUTH AUTH-1 item 1: 60 NOS / INR 60000.00`` (the text, CSV and JUnit writers)."""
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"{self.scheme.upper()} {self.number} item {self.item}: {quantity(self.quantity)}"
            f"{unit} / INR {money(self.value_inr)}"
        )


class Routing(_Record):
    nac: str
    group: str


class MessageInfo(_Record):
    source: str
    index: int
    format: str
    type: MessageType
    reference: str | None
    #: what the message does to its document: original, amendment or cancellation
    function: str | None = None
    #: the adapter's :attr:`ParsedMessage.echo <customs_engine.core.formats.ParsedMessage.echo>`
    #: for reply writers of the input's own format; never written to the JSON response
    echo: dict[str, Any] | None = Field(default=None, exclude=True, repr=False)


class DocumentInfo(_Record):
    number: str | None = None
    port_code: str | None = None
    date: dt.date | None = None
    iec: str | None = None


class EngineInfo(_Record):
    version: str
    as_of: dt.date | None = None
    plugins: dict[str, str] = Field(default_factory=dict)


def status_of(findings: list[Finding]) -> Status:
    outcomes = {finding.outcome for finding in findings}
    for outcome, status in _STATUS_BY_OUTCOME:
        if outcome in outcomes:
            return status
    return "accepted"


class Response(_Record):
    message: MessageInfo
    document: DocumentInfo
    #: derived from ``findings`` on construction; a value passed in is ignored
    status: Status = "accepted"
    findings: list[Finding] = Field(default_factory=list)
    fees: list[Fee] = Field(default_factory=list)
    authorisations: list[AuthorisationUse] = Field(default_factory=list)
    routing: Routing | None = None
    rate_date: dt.date | None = None
    engine: EngineInfo
    #: what an amendment or a cancellation credited back (the replaced version's debits);
    #: after ``engine`` so that the keys of release 0.1 keep their order
    credited: list[Credit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _derive_status(self) -> Response:
        # frozen model: set the derived field once, here, so it can never disagree
        object.__setattr__(self, "status", status_of(self.findings))
        return self

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    def to_json_dict(self) -> dict[str, Any]:
        """The response object, keys in the documented order (the field order)."""
        return self.model_dump(mode="json")

    def to_json(self, *, indent: int | None = None) -> str:
        """The response object as JSON text (pydantic's serializer: non-ASCII kept as is)."""
        return self.model_dump_json(indent=indent)

    def to_json_bytes(self, *, indent: int | None = None) -> bytes:
        """:meth:`to_json` encoded as UTF-8, as the serializer writes it (no text in between)."""
        return self.__pydantic_serializer__.to_json(self, indent=indent)
