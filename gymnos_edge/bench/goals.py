"""The product's stated goals, judged from a bench's rows."""

from __future__ import annotations

from dataclasses import dataclass

from gymnos_edge.bench.rows import BenchRow


@dataclass(frozen=True)
class Goal:
    """One of the product's stated goals, checked on this run's figures."""

    name: str
    value: float | None
    target: str
    holds: bool | None  # None: the rows it needs were not measured


def check_goals(rows: tuple[BenchRow, ...]) -> tuple[Goal, ...]:
    """int8 p50 ≤ 0.3× fp32 p50, int8 label agreement ≥ 99 %, int8 set F1@50 within 1 point of Keras,
    int8 counting ≥ 95 % of the sets' reps as Keras does. None for an export without int8 (a pose
    model's, whose head is too small to gain from it)."""
    if not any(r.format == "tflite-int8" for r in rows):
        return ()

    def first(fmt: str, threads: int | None = None) -> BenchRow | None:
        return next(
            (r for r in rows if r.format == fmt and r.status == "ok" and r.threads == (threads or r.threads)), None
        )

    keras, int8 = first("keras"), first("tflite-int8")
    goals = []
    for threads in sorted({r.threads for r in rows if r.threads}):
        fp32_t, int8_t = first("tflite-fp32", threads), first("tflite-int8", threads)
        ratio = int8_t.p50_ms / fp32_t.p50_ms if fp32_t and int8_t else None
        goals.append(Goal(f"int8 p50 / fp32 p50 ({threads} thread{'s' if threads > 1 else ''})", ratio, "≤ 0.30",
                          None if ratio is None else ratio <= 0.30))  # fmt: skip
    agreement = int8.label_agreement if int8 else None
    goals.append(
        Goal("int8 label agreement with Keras (%)", agreement, "≥ 99", None if agreement is None else agreement >= 99)
    )
    delta = abs(int8.set_f1_50 - keras.set_f1_50) if int8 and keras else None
    goals.append(Goal("|int8 − Keras| set F1@50 (points)", delta, "≤ 1", None if delta is None else delta <= 1))
    same = int8.rep_agreement if int8 else None
    goals.append(
        Goal("int8 rep counts equal to Keras's (% of sets)", same, "≥ 95", None if same is None else same >= 95)
    )
    return tuple(goals)
