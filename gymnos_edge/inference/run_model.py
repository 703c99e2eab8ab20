"""What a model opened from its run folder tells its callers: read from the run, never copied."""

from __future__ import annotations

from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.sets.smoothing import SmoothingParams
from gymnos_edge.training.run_folder import Run


class RunModel:
    """Labels, rest class, sampling and smoothing of a model that holds its `run`.

    They come from the run's metadata each time, so a model and the run it was opened from cannot
    disagree about them, whatever kind of model (image or pose) it is.
    """

    run: Run

    @property
    def labels(self) -> tuple[str, ...]:
        return self.run.metadata.labels

    @property
    def rest_class(self) -> bool:
        return self.run.metadata.rest_class

    @property
    def sampling(self) -> SamplingConfig:
        return self.run.metadata.sampling

    @property
    def smoothing(self) -> SmoothingParams:
        return self.run.metadata.smoothing_params
