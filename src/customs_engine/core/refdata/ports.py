"""What an ICEGATE location code says by itself."""

from __future__ import annotations

import re
from typing import Literal

StationType = Literal["sea", "air", "icd", "land", "rail", "unknown"]

#: IN + 3 letters + 1 suffix character (CORE-PORT-001)
PORT_CODE = re.compile(r"^IN[A-Z]{3}[A-Z0-9]$")

_BY_SUFFIX: dict[str, StationType] = {"1": "sea", "4": "air", "6": "icd", "B": "land", "2": "rail"}


def is_well_formed(port_code: str) -> bool:
    return bool(PORT_CODE.match(port_code))


def station_type(port_code: str) -> StationType:
    """Station type from the code's last character.

    1 sea port, 4 air cargo, 6 ICD/CFS, B land customs station, 2 rail.
    """
    if not is_well_formed(port_code):
        return "unknown"
    return _BY_SUFFIX.get(port_code[-1], "unknown")
