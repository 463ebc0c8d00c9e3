"""The sequential scorer the robust and seasonal detectors share.

Periods are scored in order, each against a baseline of earlier periods only:
the median of the last `window` comparable values that were not flagged, plus
(for the seasonal detector) last year's pattern. Once enough periods have been
scored, the mean of the last two such values replaces that median when its
out-of-sample errors have been clearly smaller: a level that wanders (a cohort
decaying, promotions lasting weeks) is followed rather than lagged. The band's width comes from
the noise: the median moving range of recent values (the process-behaviour-chart
estimate, which one outlier barely moves) or, once enough periods have been
scored, the median size of the scorer's own out-of-sample errors, whichever is
larger; so a baseline that fits a metric badly (a trend, a pattern it cannot know
yet) widens its band instead of flagging routine weeks. Both are widened by the
Student-t factor for the number of values they rest on: four weeks of history
say little about the noise.

A flagged period never enters a later baseline, so an outage does not lower the
bar for the weeks after it; but when most recent periods were flagged in the
same direction (four weeks in a row; ten of fourteen days) and the latest of
them agree with each other, the change is a new level, and the baseline
restarts from it. A burst that wanders (x2, x5, x3 of the usual) is no level:
its weeks stay flagged and the usual level stays the baseline.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

# For normal noise the median |x_t - x_t-1| is 0.954 sigma (median of |N(0, 2)|),
# and the median |error| is 0.6745 sigma.
MEDIAN_MOVING_RANGE_TO_SIGMA = 1 / (0.6745 * math.sqrt(2))
MEDIAN_ABS_TO_SIGMA = 1 / 0.6745
# The median of n values has variance about (pi / 2) sigma^2 / n.
MEDIAN_VARIANCE_FACTOR = math.pi / 2
MIN_BASELINE = 4  # fewer comparable values than this: the period is not scored
NOISE_WINDOW = 26  # recent moving ranges, or errors, that estimate the noise
# Out-of-sample errors needed before they set the noise. A young series' first
# errors include the level moves its baseline is still learning (a summer dip,
# a post-holiday step): twelve of them, not eight, before they may widen the band.
MIN_ERRORS = 12
# ... and before they choose between baselines: a young series that declines
# week after week shows its lagging median within a month.
MIN_ERRORS_TO_CHOOSE = 4
TINY = 1e-12
# The small-sample widening is taken at 3 sigmas whatever the sensitivity: at a
# wider band the Student-t tail would widen it again, and a high band on a young
# series would never fire.
SMALL_SAMPLE_Z = 3.0
# A new level is accepted when its last periods spread less than this share of
# the jump (or than the band): they agree with each other.
SETTLED_PERIODS = 3
SETTLED_SPREAD = 0.5
FULL = 0  # the key of the full baseline's forecasts and errors
# A shorter baseline replaces the full one only when its recent errors are at
# least this much smaller: on a steady metric the two err alike, and the full
# window's median is the one that ignores a single odd week.
SHORT_WINDOW_MARGIN = 0.8


# `small_sample_factor(SMALL_SAMPLE_Z, n)` for n = 1 .. NOISE_WINDOW, the only sizes the
# scorer asks for, as scipy.stats.t.ppf gives them (scipy 1.17): importing scipy.stats
# costs 0.5 s of every detection run. tests/test_anomaly_baseline.py checks them.
FACTORS_AT_SMALL_SAMPLE_Z = (
    78.6004993201555,
    6.40224807050284,
    3.072980152900078,
    2.206735322271952,
    1.8356932374897612,
    1.634688224549455,
    1.509991226244474,
    1.4255441811245835,
    1.3647517687364212,
    1.3189788866675822,
    1.283312142719494,
    1.2547588937548901,
    1.2313961396888629,
    1.2119336544984418,
    1.19547440878165,
    1.181375870806831,
    1.1691659950174096,
    1.158490347698628,
    1.149077716867904,
    1.1407170970424272,
    1.1332418966663795,
    1.1265188596840205,
    1.1204401399280548,
    1.1149175304707886,
    1.1098781949374477,
    1.1052614642619827,
)


@functools.lru_cache(maxsize=4096)
def small_sample_factor(z: float, samples: int) -> float:
    """How much wider a z-sigma band must be when sigma comes from `samples` values.

    The Student-t quantile with that many degrees of freedom over the normal
    one: 1.6 from 5 values, 1.1 from 26 at z = 3.5.
    """
    if samples < 1:
        return math.inf
    if z == SMALL_SAMPLE_Z and samples <= len(FACTORS_AT_SMALL_SAMPLE_Z):
        return FACTORS_AT_SMALL_SAMPLE_Z[samples - 1]
    from scipy.stats import t as student_t  # type: ignore[import-untyped]  # no stubs

    tail = NormalDist().cdf(z)
    return float(student_t.ppf(tail, samples)) / z


@dataclass(frozen=True, slots=True)
class ScoringParams:
    window: int  # comparable values in the baseline (the "last 8 weeks")
    step: int  # 1: the previous periods are comparable; 7: same weekday, for days
    z: float  # band half-width in noise sigmas
    counts: bool  # values are counts: the noise is at least Poisson
    log: bool  # values were log-transformed (multiplicative noise)
    relative_noise_floor: float  # the noise is at least this fraction of the level
    # When `new_level_flags` of the last `new_level_window` comparable periods
    # were flagged in the same direction, that is the new level.
    new_level_window: int
    new_level_flags: int
    # Shorter baselines tried beside `window`: a series whose level wanders
    # (a decaying cohort, promotions that last weeks) is forecast better by its
    # last two values; whichever forecast erred least lately sets the level.
    short_windows: tuple[int, ...] = (2,)


@dataclass(slots=True)
class _Lane:
    """The history of one class of comparable periods (all weeks; or one weekday)."""

    usable: list[int] = field(default_factory=list)  # baseline candidates, oldest first
    # Sizes (|error|) of the out-of-sample errors of unflagged periods, per baseline
    # length tried: only their sizes are ever used, so they are stored as sizes.
    errors: dict[int, list[float]] = field(default_factory=dict)
    level_start: int = 0  # a new level restarts the baseline here
    recent: list[tuple[int, float]] = field(default_factory=list)  # (period, sign or 0)

    def note(self, t: int, sign: float, usable: bool) -> None:
        """Record period t's verdict: 0 for normal (it joins the baseline), else its sign."""
        self.recent.append((t, sign))
        if sign == 0 and usable:
            self.usable.append(t)

    def new_level(self, params: ScoringParams) -> list[int] | None:
        """The flagged periods of a new level, when most recent verdicts agree on a direction."""
        window = self.recent[-params.new_level_window :]
        if len(window) < params.new_level_window:
            return None
        for sign in (1.0, -1.0):
            flagged = [t for t, verdict in window if verdict == sign]
            if len(flagged) >= params.new_level_flags:
                return flagged
        return None

    def copy(self) -> _Lane:
        return _Lane(
            list(self.usable),
            {key: list(errors) for key, errors in self.errors.items()},
            self.level_start,
            list(self.recent),
        )

    def accept_new_level(self, flagged: list[int], usable: Bools) -> None:
        self.level_start = flagged[0]
        self.usable = [j for j in self.usable if j < flagged[0]]
        self.usable.extend(t for t, _ in self.recent if t >= flagged[0] and usable[t])
        self.usable.sort()
        self.recent.clear()


def _level_variance(size: int) -> float:
    """Variance of the median of `size` noisy values, in noise variances.

    One value (or the mean of two) is as noisy as a value; from three on, the
    median's variance is about (pi / 2) / size.
    """
    return 1 / size if size <= 2 else MEDIAN_VARIANCE_FACTOR / size


def _floor(params: ScoringParams, level: float) -> float:
    """The least noise: a fraction of the level, and Poisson noise for counts."""
    if params.log:
        floor = params.relative_noise_floor
        if params.counts:
            floor = max(floor, 1 / math.sqrt(max(math.exp(level), 1.0)))
        return floor
    floor = params.relative_noise_floor * abs(level)
    if params.counts:
        floor = max(floor, math.sqrt(max(level, 1.0)))
    return floor


def _moving_ranges(ids: list[int], values: list[float], level_start: int) -> list[float]:
    """|differences| of consecutive known values of periods `ids` (NaN: not known),
    leaving out the jump onto a new level."""
    ranges: list[float] = []
    before, previous = -1, math.nan
    for j in ids:
        value = values[j]
        if value != value:  # NaN; math.isnan costs a call per period here
            continue
        if before >= 0 and not before < level_start <= j:
            ranges.append(abs(value - previous))
        before, previous = j, value
    return ranges


def _median(values: list[float]) -> float:
    """The median of a short list (numpy's costs ten times more on a few values)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


class SequentialScorer:
    """Scores periods in order; the seasonal offsets may change between calls to `score`.

    `x` holds the (transformed) values, NaN where missing; `usable` marks periods
    allowed in a baseline at all (periods in known events are not).
    """

    def __init__(self, x: Floats, usable: Bools, params: ScoringParams) -> None:
        n = len(x)
        self.x, self.usable, self.params = x, usable, params
        self.expected = np.full(n, np.nan)
        self.half_width = np.full(n, np.nan)
        self.fired = np.zeros(n, dtype=np.bool_)
        self.baseline_size = np.zeros(n, dtype=np.int64)
        # Where a new level was accepted: the period that started it, else -1.
        self.shift_at = np.full(n, -1, dtype=np.int64)
        self._lanes = [_Lane() for _ in range(params.step)]

    def fork(self) -> SequentialScorer:
        """An independent scorer in this one's state: periods scored so far, and each
        lane's history. Two runs that agree up to a period share the work up to it."""
        other = copy.copy(self)
        other.expected, other.half_width = self.expected.copy(), self.half_width.copy()
        other.fired, other.baseline_size = self.fired.copy(), self.baseline_size.copy()
        other.shift_at = self.shift_at.copy()
        other._lanes = [lane.copy() for lane in self._lanes]
        return other

    def snapshot(self) -> dict[str, np.ndarray]:
        """Its state as plain arrays, to go on from later (`wbr.anomalies.resume`).

        Only a scorer of consecutive periods (one lane) has one: a daily scorer's seven
        lanes are never resumed."""
        assert len(self._lanes) == 1, "only a one-lane scorer is resumed"
        lane = self._lanes[0]
        keys = sorted(lane.errors)
        return {
            "expected": self.expected.copy(),
            "half_width": self.half_width.copy(),
            "fired": self.fired.copy(),
            "baseline_size": self.baseline_size.copy(),
            "shift_at": self.shift_at.copy(),
            "usable": np.array(lane.usable, dtype=np.int64),
            "error_keys": np.array(keys, dtype=np.int64),
            "error_counts": np.array([len(lane.errors[k]) for k in keys], dtype=np.int64),
            "errors": np.array([e for k in keys for e in lane.errors[k]], dtype=np.float64),
            "level_start": np.array([lane.level_start], dtype=np.int64),
            "recent_periods": np.array([t for t, _ in lane.recent], dtype=np.int64),
            "recent_signs": np.array([sign for _, sign in lane.recent], dtype=np.float64),
        }

    def restore(self, state: dict[str, np.ndarray]) -> int:
        """Take the state `snapshot` gave, of this series' first periods; how many."""
        assert len(self._lanes) == 1, "only a one-lane scorer is resumed"
        scored = len(state["expected"])
        for name in ("expected", "half_width", "fired", "baseline_size", "shift_at"):
            getattr(self, name)[:scored] = state[name]
        errors: dict[int, list[float]] = {}
        values = state["errors"].tolist()
        for key, count in zip(
            state["error_keys"].tolist(), state["error_counts"].tolist(), strict=True
        ):
            errors[key], values = values[:count], values[count:]
        self._lanes = [
            _Lane(
                state["usable"].tolist(),
                errors,
                int(state["level_start"][0]),
                list(
                    zip(
                        state["recent_periods"].tolist(),
                        state["recent_signs"].tolist(),
                        strict=True,
                    )
                ),
            )
        ]
        return scored

    def score(self, start: int, end: int, season: Floats, scorable: bool = True) -> None:
        """Score periods [start, end) with `season` (NaN: no pattern known for a period)."""
        # Plain lists: this loop runs once per period and metric, on a few values each.
        deseasoned: list[float] = (self.x - season).tolist()
        values: list[float] = self.x.tolist()
        offsets: list[float] = season.tolist()
        usable: list[bool] = self.usable.tolist()
        window = self.params.window
        for t in range(start, end):
            if math.isnan(deseasoned[t]):
                continue
            lane = self._lanes[t % self.params.step]
            known = [j for j in lane.usable[-2 * window :] if j >= lane.level_start]
            recent = [j for j in known if not math.isnan(deseasoned[j])][-window:]
            if not scorable or len(recent) < MIN_BASELINE:
                lane.note(t, 0.0, usable[t])
                continue
            # The full baseline (all of `recent`) is key 0, a short one its length.
            levels = {FULL: _median([deseasoned[j] for j in recent])}
            for short in self.params.short_windows:
                if short < len(recent):
                    levels[short] = _median([deseasoned[j] for j in recent[-short:]])
            key, key_error = self._best_baseline(lane, levels)
            level, size = levels[key], key or len(recent)
            width = self.params.z * self._sigma(lane, deseasoned, level, key, size, key_error)
            centre = level + offsets[t]
            self.expected[t], self.half_width[t] = centre, width
            self.baseline_size[t] = size
            deviation = values[t] - centre
            if abs(deviation) <= width:
                lane.note(t, 0.0, usable[t])
                if usable[t]:
                    for tried, other in levels.items():
                        lane.errors.setdefault(tried, []).append(abs(deseasoned[t] - other))
                continue
            self.fired[t] = True
            lane.note(t, math.copysign(1.0, deviation), usable[t])
            flagged = lane.new_level(self.params)
            if flagged is not None and self._settled(flagged, deseasoned, level, width):
                lane.accept_new_level(flagged, self.usable)
                self.shift_at[t] = flagged[0]

    def _settled(
        self, flagged: list[int], deseasoned: list[float], level: float, width: float
    ) -> bool:
        """Whether the latest flagged periods sit at one level (a shift), not a wandering burst.

        A run of playoff weeks (x2, x5, x3, x9) is flagged every week but is no
        level to compare the next weeks with; after it, the usual level returns.
        A cohort that falls and then holds is: its last weeks agree with each other.
        """
        points = [deseasoned[j] for j in flagged[-SETTLED_PERIODS:]]
        jump = abs(_median(points) - level)
        return max(points) - min(points) <= max(width, SETTLED_SPREAD * jump)

    def _best_baseline(self, lane: _Lane, levels: dict[int, float]) -> tuple[int, float | None]:
        """The baseline whose recent forecasts erred least; the full one until that is known.

        A short baseline must beat the full one by a margin: on a steady metric the
        two err alike, and the full median is the one a single odd week cannot move.
        Also returns the chosen baseline's median error size when it was measured
        here (None otherwise), so that `_sigma` need not measure it again.
        """
        best, best_error, best_median = FULL, math.inf, None
        for key in levels:
            errors = lane.errors.get(key, [])
            if len(errors) < MIN_ERRORS_TO_CHOOSE:
                return FULL, None
            median = _median(errors[-NOISE_WINDOW:])
            error = median if key == FULL else median / SHORT_WINDOW_MARGIN
            if error < best_error:
                best, best_error, best_median = key, error, median
        return best, best_median

    def _sigma(
        self,
        lane: _Lane,
        deseasoned: list[float],
        level: float,
        key: int,
        size: int,
        key_error: float | None = None,
    ) -> float:
        """Noise of a forecast from `size` baseline values: moving ranges or past errors.

        `key_error`: the median size of the baseline's last errors, if already known.
        """
        ranges = _moving_ranges(lane.usable[-NOISE_WINDOW:], deseasoned, lane.level_start)
        sigma = _median(ranges) * MEDIAN_MOVING_RANGE_TO_SIGMA if ranges else 0.0
        sigma *= math.sqrt(1 + _level_variance(size))
        sigma *= small_sample_factor(SMALL_SAMPLE_Z, max(len(ranges), 1))
        own = lane.errors.get(key, [])
        if len(own) >= MIN_ERRORS:
            errors = own[-NOISE_WINDOW:]
            median = _median(errors) if key_error is None else key_error
            from_errors = median * MEDIAN_ABS_TO_SIGMA
            sigma = max(sigma, from_errors * small_sample_factor(SMALL_SAMPLE_Z, len(errors)))
        return max(sigma, _floor(self.params, level), TINY)


__all__ = ["MIN_BASELINE", "ScoringParams", "SequentialScorer"]
