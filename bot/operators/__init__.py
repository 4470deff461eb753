"""The operators' tools: accounts, conversation review, annotation, retraining and deployment.

The operator console (``/operator`` on the web port) and ``python -m bot
operator`` both work through these modules, so a change made in one is seen
(and logged) in the other.

- ``accounts`` — operator accounts, console sessions and the change log;
- ``review`` — past conversations from the tracker store, with the messages that need a look;
- ``masking`` — personal data (ID numbers, phone numbers, names) masked in every view and export;
- ``annotations`` — new training examples written into ``data/nlu``, checked and undoable;
- ``models`` and ``model_commands`` — retrain, evaluate, deploy and roll back models.
"""
