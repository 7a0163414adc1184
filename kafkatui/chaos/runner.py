"""Many runs, one after another, and what they add up to.

Runs do not overlap: each makes its SQLite calls synchronous (`determinism.py`), so two
in one event loop would only take turns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafkatui.chaos.plan import ALL_FAMILIES, ChaosConfig
from kafkatui.chaos.run import RunResult, run_seed


@dataclass
class ChaosReport:
    config: ChaosConfig
    results: list[RunResult] = field(default_factory=list)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if not r.ok]

    def replay_command(self, seed: int) -> str:
        """The command line that plays exactly this run again."""
        command = f"kafkatui chaos run --seed {seed} --runs 1"
        if self.config.families != ALL_FAMILIES:
            command += f" --faults {','.join(sorted(self.config.families))}"
        if self.config.steps != ChaosConfig.steps:
            command += f" --steps {self.config.steps}"
        return command

    def totals(self) -> dict[str, Any]:
        broken = Counter(v.promise.value for r in self.results for v in r.violations)
        return {
            "runs": len(self.results),
            "faults": sum(len(r.faults) for r in self.results),
            "acked": sum(r.acked for r in self.results),
            "runs_with_violations": len(self.failed),
            "violations": dict(sorted(broken.items())),
            "cluster_ms": sum(r.cluster_ms for r in self.results),
            "repairs": sum(len(r.repairs) for r in self.results),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "faults": sorted(f.value for f in self.config.families),
            "steps": self.config.steps,
            "totals": self.totals(),
            "runs": [
                r.to_json() | ({"replay": self.replay_command(r.seed)} if not r.ok else {})
                for r in self.results
            ],
        }


async def run_seeds(
    seeds: Sequence[int],
    config: ChaosConfig | None = None,
    *,
    on_result: Callable[[RunResult], None] | None = None,
) -> ChaosReport:
    """Play every seed in turn; `on_result` hears of each run as it ends."""
    report = ChaosReport(config or ChaosConfig())
    for seed in seeds:
        result = await run_seed(seed, report.config)
        report.results.append(result)
        if on_result is not None:
            on_result(result)
    return report
