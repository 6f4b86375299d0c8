"""The industry conventions the rule-based models and the journey builder default to, with their sources.

None of these numbers is in the source articles (article 001 names the models but gives no parameters),
so each default is the convention of the analytics products a client's team already knows — Google
Analytics 4 and Google Ads — and is a parameter everywhere it is used, never a hidden constant.
"""

from __future__ import annotations

from xhsxl.core.figures import Figure

__all__ = [
    "TIME_DECAY_HALF_LIFE_DAYS",
    "POSITION_BASED_WEIGHTS",
    "POSITION_BASED_FIRST",
    "POSITION_BASED_MIDDLE",
    "POSITION_BASED_LAST",
    "LOOKBACK_DAYS",
    "LOOKBACK_DAYS_OTHER",
    "DIRECT_CHANNEL",
]

TIME_DECAY_HALF_LIFE_DAYS = Figure(
    value=7.0,
    unit="days",
    source="Google Ads API, AttributionModelEnum GOOGLE_SEARCH_ATTRIBUTION_TIME_DECAY (Google Ads and GA4 "
    "offered the same rule-based models until Google retired them in 2023)",
    quote="Attributes exponentially more credit for a conversion to its more recent clicks ... "
    "(half-life is 1 week).",
)

POSITION_BASED_FIRST = Figure(
    value=0.40,
    unit="share of a conversion",
    source="Google Ads API, AttributionModelEnum GOOGLE_SEARCH_ATTRIBUTION_POSITION_BASED",
    quote="Attributes 40% of the credit for a conversion to its first and last clicks. Remaining 20% is "
    "evenly distributed across all other clicks.",
)
POSITION_BASED_LAST = POSITION_BASED_FIRST
POSITION_BASED_MIDDLE = Figure(
    value=0.20,
    unit="share of a conversion",
    source=POSITION_BASED_FIRST.source,
    quote=POSITION_BASED_FIRST.quote,
)
#: (first, middle, last) as the position-based model takes them. A two-touch path splits first : last,
#: 50/50 with these weights, as GA4 documents for its position-based model.
POSITION_BASED_WEIGHTS: tuple[float, float, float] = (
    POSITION_BASED_FIRST.value,
    POSITION_BASED_MIDDLE.value,
    POSITION_BASED_LAST.value,
)

LOOKBACK_DAYS = Figure(
    value=30.0,
    unit="days",
    source="Google Analytics Admin API v1alpha, AttributionSettings.acquisitionConversionEventLookbackWindow",
    quote="The lookback window configuration for acquisition conversion events. The default window size is "
    "30 days.",
)
LOOKBACK_DAYS_OTHER = Figure(
    value=90.0,
    unit="days",
    source="Google Analytics Admin API v1alpha, AttributionSettings.otherConversionEventLookbackWindow",
    quote="The lookback window for all other, non-acquisition conversion events. The default window size "
    "is 90 days.",
)

#: The channel name "last non-direct touch" skips unless the whole journey is direct (matched ignoring
#: case and surrounding spaces). A naming convention of web analytics, not a figure.
DIRECT_CHANNEL = "direct"
