"""The training side: corpora, label mapping, fitting, thresholds, reports, the baseline.

Nothing the service loads imports this package; it imports the serving modules it trains.

    python -m classifier.training --data-dir ../shared/datasets --out models/
"""

from classifier.training.run import MODEL_NAME, MODEL_VERSION, TrainConfig, fit_tagger, main, train

__all__ = ["MODEL_NAME", "MODEL_VERSION", "TrainConfig", "fit_tagger", "main", "train"]
