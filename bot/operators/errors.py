"""The one exception of operators' model operations (training, evaluation, deployment)."""


class ModelError(Exception):
    """A model operation cannot be done; the message says why, for the operator."""
