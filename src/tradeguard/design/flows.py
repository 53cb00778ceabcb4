"""A flow of the simulated market: a partner's imports of a line, as a design file states it.

A design may carry its own market (``flows:`` in the design file); where a flow is absent
from the bundled data (MFN imports), its level and unit value are cited assumptions, and the
flow says so in ``source``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FlowSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: str
    line: str
    regime: str = Field(description="The regime used when no design hits the partner.")
    base_t: float | None = Field(None, ge=0, description="Tonnes a year in the first year; "
                                 "default: the last 12 months of data (any regime).")
    unit_value: float | None = Field(None, gt=0, description="JPY/kg; default from data.")
    source: str | None = Field(None, description="Where base_t and unit_value come from when "
                               "they are given: a citation, or `assumption: ...`.")

    @property
    def assumed(self) -> bool:
        """The flow's level is stated, not fitted to the data."""
        return self.base_t is not None
