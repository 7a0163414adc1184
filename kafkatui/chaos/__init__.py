"""The chaos harness: seeded fault schedules against throwaway clusters, and Kafka's
promises checked after each (`kafkatui chaos run`, tests/engine/test_chaos.py,
bench/chaos.py). Like Jepsen's analyses of Kafka, but deterministic: a seed replays.

- `plan.py`: the scenario generator (seed → steps, fault families, clients)
- `faults.py`: fault injection steps on a running cluster, and healing
- `disk.py`: damage to a broker's database between a clean stop and a restart
- `workload.py`: the clients (producers of every kind, a consumer group, an observer)
- `history.py`: what a run saw, as plain data
- `checkers.py`: the promises, checked on a history
- `readback.py`: when a healed cluster counts as healed, and what it holds
- `determinism.py`: SQLite calls in call order, so a seed replays exactly
- `run.py`: one run, from plan to verdict; `runner.py`: many, and their totals

It drives the engine directly: a fault harness reaches inside, where the lessons go
through the backend interface (DESIGN.md's layer block).
"""
