"""The operator console (``/operator`` on the web port): review, annotate, retrain, evaluate, deploy."""
